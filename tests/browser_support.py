"""Helpers of the browser tests: a JupyterLab server of our own, Debian's Chromium, screenshots.

The server runs on 127.0.0.1, on a free port, with a random token, in a course
directory of the test's own, with Jupyter's user-level configuration, runtime
files, JupyterLab settings and workspaces in a scratch folder: nothing of the
user's ~/.jupyter takes part, and nothing is written there.
"""
import contextlib
import json
import os
import pathlib
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from autograder.course import REPO_ROOT

ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"

# Playwright's own browser download does not work offline: use the distribution's Chromium.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach Google's
# services, and on a closed network its connections (to 127.0.0.1 too) get refused.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-proxy-server",
]

# User settings of JupyterLab for a predictable page: no news or update prompts
# (which would also reach the internet), and every cell of a notebook in the DOM
# (JupyterLab 4 otherwise renders long notebooks lazily, as they scroll into view).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}


def free_port():
    """A TCP port of 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid):
    """(parent id, start time) of a process, from /proc/<pid>/stat; None once it is gone."""
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[19]


def _descendants(pid):
    """{pid: start time} of the processes below pid (Jupyter starts kernels in sessions of their own)."""
    children = {}
    for entry in pathlib.Path("/proc").glob("[0-9]*"):
        stat = _stat(entry.name)
        if stat:
            children.setdefault(stat[0], []).append((int(entry.name), stat[1]))
    found, todo = {}, [pid]
    while todo:
        for child, started in children.get(todo.pop(), []):
            found[child] = started
            todo.append(child)
    return found


class JupyterLab:
    """
    `jupyter lab` serving root_dir (its working directory too, so that nbgrader's
    server extensions read the course's nbgrader_config.py), as a context manager.

    Inputs:
    - root_dir: The folder served; the course directory
    - scratch: A folder for Jupyter's configuration, runtime files and settings
    - log_path: Where the server's output goes
    - env: Extra environment variables of the server (its kernels inherit them)
    """

    def __init__(self, root_dir, scratch, log_path, env=None):
        self.root_dir = pathlib.Path(root_dir)
        self.scratch = pathlib.Path(scratch)
        self.log_path = pathlib.Path(log_path)
        self.extra_env = dict(env or {})
        self.token = secrets.token_hex(16)
        self.port = None
        self.process = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def url(self, path):
        """The address of a page of the server, with the token that logs the browser in."""
        separator = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{separator}token={self.token}"

    def _environment(self):
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # kernels must use matplotlib's inline backend
        for name in ("config", "runtime", "ipython", "lab-settings", "lab-workspaces"):
            (self.scratch / name).mkdir(parents=True, exist_ok=True)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.scratch / "config"),
            JUPYTER_RUNTIME_DIR=str(self.scratch / "runtime"),
            IPYTHONDIR=str(self.scratch / "ipython"),
            JUPYTERLAB_SETTINGS_DIR=str(self.scratch / "lab-settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.scratch / "lab-workspaces"),
            # nbgrader runs helper executables (alembic) from PATH, as in autograder.course.nbgrader
            PATH=os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")]),
        )
        env.update(self.extra_env)
        for plugin, values in LAB_SETTINGS.items():
            path = self.scratch / "lab-settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        return env

    def start(self, timeout=120):
        self.port = free_port()
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root_dir}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if os.geteuid() == 0:  # CI containers run as root; Jupyter refuses that unless told
            command.append("--allow-root")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, cwd=self.root_dir, env=self._environment(),
                                        stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.get_json("api/status")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        raise RuntimeError(f"jupyter lab did not answer on port {self.port} within {timeout} s:\n{self.log_tail()}")

    def get_json(self, path):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.url(path), timeout=10) as response:
            return json.load(response)

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        """Stop the server (it shuts its kernels down); kill whatever of it is left after 15 s."""
        if self.process is None:
            return
        family = _descendants(self.process.pid)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for pid, started in family.items():  # kernels that outlived their server (the same processes:
            stat = _stat(pid)                  # a pid reused since has another start time)
            if stat and stat[1] == started:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        self._log.close()
        self.process = None

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


@contextlib.contextmanager
def chromium():
    """A headless Chromium driven by Playwright, closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class Screenshots:
    """Saves numbered screenshots of a flow as ARTIFACTS/<flow>-<n>-<step>.png for people to look at."""

    def __init__(self, flow, folder=ARTIFACTS):
        self.flow = flow
        self.folder = pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, target, step, **options):
        """Save a screenshot of a page (what its window shows) or of one element (a Locator)."""
        self.count += 1
        path = self.folder / f"{self.flow}-{self.count:02d}-{step}.png"
        target.screenshot(path=str(path), **options)
        return path


# ---- JupyterLab pages -------------------------------------------------------------------------

NOTEBOOK_PANEL = "#jp-main-dock-panel .jp-NotebookPanel:not(.lm-mod-hidden)"
_KERNEL_IDLE = "() => /\\| Idle/.test((document.querySelector('#jp-main-statusbar') || {}).innerText || '')"
# Run All has finished: no cell waits or runs ([*]), at least one ran, and the kernel is idle.
_RUN_FINISHED = """() => {
  const prompts = [...document.querySelectorAll(
      '%s .jp-CodeCell .jp-InputPrompt')].map(e => e.innerText);
  return prompts.some(p => /\\d/.test(p)) && !prompts.some(p => p.includes('*'))
      && /\\| Idle/.test(document.querySelector('#jp-main-statusbar').innerText);
}""" % NOTEBOOK_PANEL


def open_lab(page, lab, workspace, timeout=120_000):
    """
    JupyterLab in a workspace of its own (a new name gives an empty one: no tabs
    of an earlier test); returns once the Launcher shows, when JupyterLab is ready.
    """
    page.goto(lab.url(f"lab/workspaces/{workspace}"))
    page.locator("#jp-main-dock-panel .jp-Launcher").wait_for(timeout=timeout)


def open_notebook(page, lab, path, workspace, timeout=120_000):
    """Open path (relative to the server's root) in a new JupyterLab workspace; wait for its kernel."""
    page.goto(lab.url(f"lab/workspaces/{workspace}/tree/{path}"))
    return wait_for_notebook(page, timeout)


def wait_for_notebook(page, timeout=120_000):
    """The notebook of the current JupyterLab tab, once it is shown and its kernel is idle."""
    notebook = page.locator(NOTEBOOK_PANEL)
    notebook.locator(".jp-Cell").first.wait_for(timeout=timeout)
    page.wait_for_function(_KERNEL_IDLE, timeout=timeout, polling=250)
    return notebook


def shows_within(locator, timeout):
    """Whether the element becomes visible within timeout (ms)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        locator.wait_for(timeout=timeout)
        return True
    except PlaywrightTimeout:
        return False


def menu(page, *items):
    """Click through JupyterLab's menu bar: menu(page, "Nbgrader", "Formgrader")."""
    for item in items:
        page.get_by_role("menuitem", name=item, exact=True).click()


def notebook_cells(notebook):
    """Every cell of the notebook, in order (all are in the DOM: LAB_SETTINGS turns windowing off)."""
    return notebook.locator(".jp-WindowedPanel-viewport > .jp-Cell")


def code_cells(cells):
    """
    What the code cells show: {cell index: {"prompt": "[3]:", "stderr": number of error or
    stderr outputs, "result": text of the execute result or None, "images": number of images}}.
    """
    found = cells.evaluate_all("""els => els.map((e, i) => [i, e])
      .filter(([i, e]) => e.classList.contains('jp-CodeCell'))
      .map(([i, e]) => [i, {
        prompt: e.querySelector('.jp-InputPrompt').innerText.trim(),
        stderr: e.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').length,
        result: (e.querySelector('.jp-OutputArea-executeResult .jp-OutputArea-output') || {}).innerText ?? null,
        images: e.querySelectorAll('.jp-OutputArea-output img').length,
      }])""")
    return {i: cell for i, cell in found}


def run_all_cells(page, timeout=240_000):
    """Run > Run All Cells, as a student would; return when the run has finished (or stopped at an error)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    prompts = page.locator(f"{NOTEBOOK_PANEL} .jp-CodeCell .jp-InputPrompt")
    # the end of the run is recognized by the execution counts: there must be none before
    assert not any(re.search(r"\d", p) for p in prompts.all_inner_texts()), "the notebook already ran"
    menu(page, "Run", "Run All Cells")
    try:
        page.wait_for_function(_RUN_FINISHED, timeout=timeout, polling=500)
    except PlaywrightTimeout:
        raise AssertionError(f"Run All did not finish within {timeout / 1000:g} s; "
                             f"prompts: {' '.join(prompts.all_inner_texts())}") from None


def validate(page, notebook, timeout=240_000):
    """Click nbgrader's Validate button of the notebook toolbar; return the dialog that reports the result."""
    notebook.locator("jp-button.validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator(".jp-Dialog-content").wait_for(timeout=timeout)
    return dialog
