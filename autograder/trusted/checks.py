"""The trusted checks of every assignment's graded test cells, by assignment and grade id.

ASSIGNMENTS maps an assignment to its Checks: `notebooks`, the order the
notebooks' solution code runs in (a later notebook may use an earlier one's
functions), and `cells`, which maps a test cell's grade id to the function that
builds its checks: cell(request, rng) -> [scoring.Check]. An assignment missing
here has no trusted verdict.
"""
import dataclasses

from . import batchnorm_cells, mlp_cells, spatial_cells, torch_cells


@dataclasses.dataclass(frozen=True)
class Checks:
    notebooks: tuple
    cells: dict


NO_CHECKS = Checks((), {})
ASSIGNMENTS = {
    "batchnorm": Checks(("BatchNormalization.ipynb", "SpatialBatchNorm.ipynb"),
                        {**batchnorm_cells.CELLS, **spatial_cells.CELLS}),
    "mlp_batchnorm": Checks(("MLPBatchNorm.ipynb",), mlp_cells.CELLS),
    "torch_batchnorm": Checks(("TorchBatchNorm.ipynb",), torch_cells.CELLS),
}


def for_assignment(assignment):
    """The Checks of an assignment (NO_CHECKS for one without trusted checks)."""
    return ASSIGNMENTS.get(assignment, NO_CHECKS)
