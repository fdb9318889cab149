"""What a killed process left is found by the name it gave it; what a running one holds is not."""
import os
import subprocess
import sys

from autograder.grade.sandbox.leftovers import owned_name, stale


def test_only_the_names_of_processes_gone_are_stale(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    names = {"mine": owned_name("scratch-"), "gone": f"scratch-{gone.stdout.strip()}-0123456789ab",
             "other prefix": f"other-{gone.stdout.strip()}-0123456789ab", "not ours": "scratch-abc"}
    for name in names.values():
        (tmp_path / name).mkdir()
    assert names["mine"].startswith(f"scratch-{os.getpid()}-")
    assert [path.name for path in stale(tmp_path, "scratch-")] == [names["gone"]]
