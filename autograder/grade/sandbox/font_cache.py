"""matplotlib's font list, given to every sandbox's home so that no sandboxed process has to build it again.

matplotlib lists the fonts it finds the first time it is imported and keeps the
list in its cache folder ($HOME/.cache/matplotlib). A sandbox's home is a
fresh folder, so every notebook kernel and every verdict driver that imports
pyplot would scan the system's fonts again: about a second of CPU each. The
list this host's matplotlib keeps (made here once if it has none) names only
font files, and the sandbox sees the same Python environment and system
folders, so a copy of it is as good inside. The copy is the sandbox's own, in
a folder its user may write, as the cache folder of a fresh home would be.
"""
import functools
import pathlib

CACHE_FOLDER = pathlib.Path(".cache") / "matplotlib"


@functools.cache
def host_font_list():
    """(file name, bytes) of this host's matplotlib font list, made now if it has none; None without one."""
    try:
        from matplotlib import font_manager, get_cachedir
        path = pathlib.Path(get_cachedir()) / f"fontlist-v{font_manager.FontManager.__version__}.json"
        return path.name, path.read_bytes()
    except (ImportError, OSError):
        return None


def give_font_list(home):
    """Copy the host's font list into the matplotlib cache folder of a sandbox's home (a host folder)."""
    found = host_font_list()
    if found is None:
        return
    name, content = found
    folder = pathlib.Path(home) / CACHE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    for path in (folder.parent, folder):  # the sandbox's user (nobody, when we are root) writes there too
        path.chmod(0o777)
    (folder / name).chmod(0o666)
