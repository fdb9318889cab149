"""Reading files untrusted code made: no link followed, no special file read, no more than the cap."""
import os

import pytest

from autograder.grade.untrusted_files import TooLarge, UntrustedFileError, read_untrusted, walk_untrusted


@pytest.fixture
def planted(tmp_path):
    """A folder as a hostile sandbox leaves it, beside a host secret it links to."""
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    folder = tmp_path / "work"
    (folder / "sub").mkdir(parents=True)
    (folder / "answer.json").write_text('{"ok": true}')
    (folder / "sub" / "deep.txt").write_text("deep")
    os.symlink(secret, folder / "results.json")
    os.symlink(tmp_path, folder / "linked-folder")
    os.mkfifo(folder / "fifo")
    return folder


def test_a_regular_file_is_read_whole(planted):
    assert read_untrusted(planted / "answer.json", max_bytes=100) == b'{"ok": true}'
    assert read_untrusted(planted / "answer.json", max_bytes=12) == b'{"ok": true}'


@pytest.mark.parametrize("name, why", [
    ("results.json", "is a symbolic link"),
    ("linked-folder", "is a symbolic link"),
    ("fifo", "is a FIFO"),  # opening it for reading would block the host
    ("sub", "is a folder"),
    ("missing", "does not exist"),
])
def test_links_special_files_and_folders_are_refused(planted, name, why):
    with pytest.raises(UntrustedFileError) as refused:
        read_untrusted(planted / name, max_bytes=100)
    assert refused.value.why == why and str(refused.value) == f"{planted / name} {why}"


def test_a_file_past_the_cap_is_refused(planted):
    with pytest.raises(TooLarge, match="is larger than 11 bytes"):
        read_untrusted(planted / "answer.json", max_bytes=11)


def test_the_walk_lists_links_without_entering_them_and_reads_relative_to_its_folders(planted):
    seen = {}
    for relative, status, dir_fd, name in walk_untrusted(planted):
        try:
            seen[relative] = read_untrusted(name, max_bytes=100, dir_fd=dir_fd)
        except UntrustedFileError as error:
            seen[relative] = error.why
    assert seen == {"answer.json": b'{"ok": true}', "fifo": "is a FIFO", "linked-folder": "is a symbolic link",
                    "results.json": "is a symbolic link", "sub": "is a folder", "sub/deep.txt": b"deep"}


def test_a_walk_from_a_link_is_refused(planted, tmp_path):
    os.symlink(planted, tmp_path / "link")
    with pytest.raises(UntrustedFileError, match="is a symbolic link"):
        list(walk_untrusted(tmp_path / "link"))
