"""The trusted checks of every graded test cell of the batchnorm assignment, by grade id.

CELLS maps a test cell's grade id to the function that builds its checks:
cell(request, rng) -> [scoring.Check]. NOTEBOOKS is the order the notebooks'
solution code runs in (SpatialBatchNorm.ipynb uses BatchNormalization.ipynb's).
"""
from . import batchnorm_cells, spatial_cells

NOTEBOOKS = ("BatchNormalization.ipynb", "SpatialBatchNorm.ipynb")
CELLS = {**batchnorm_cells.CELLS, **spatial_cells.CELLS}
