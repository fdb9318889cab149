"""The checks a test cell's output reports, as a Rubric prints them, and where two runs of a cell disagree.

A Rubric check prints `ok    <description>` or `FAIL  <description>` and, under
a failure, its reason indented by six spaces (assignments/grading.py).
"""
OK, FAIL, REASON = "ok    ", "FAIL  ", "      "


def checks_in(outputs):
    """
    {description: (passed, reason)} of the checks a cell's outputs (nbformat output dicts) report.

    Only stdout counts; a description printed twice keeps its first outcome.
    """
    text = "".join(_text(output) for output in outputs
                   if output.get("output_type") == "stream" and output.get("name") == "stdout")
    checks = {}
    last = None
    for line in text.splitlines():
        if line.startswith(OK) or line.startswith(FAIL):
            last = line[len(OK):]
            checks.setdefault(last, [line.startswith(OK), ""])
        elif line.startswith(REASON) and last is not None and not checks[last][1]:
            checks[last][1] = line.strip()
        else:
            last = None
    return {description: tuple(outcome) for description, outcome in checks.items()}


def disagreements(kernel_outputs, judged_outputs):
    """
    One line per check the kernel reported whose outcome outside the kernel differs:
    `'<description>': in the kernel ok, outside it FAIL (<reason>)`. Checks the
    kernel did not run (hidden tests, checks after an error) are not compared.
    """
    kernel, judged = checks_in(kernel_outputs), checks_in(judged_outputs)
    lines = []
    for description, (passed, reason) in kernel.items():
        other = judged.get(description)
        if other is None or other[0] != passed:
            lines.append(f"{description!r}: in the kernel {_shown(passed, reason)}, "
                         f"outside it {'not run' if other is None else _shown(*other)}")
    return lines


def _shown(passed, reason):
    return "ok" if passed else f"FAIL ({reason})" if reason else "FAIL"


def _text(output):
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else str(text)
