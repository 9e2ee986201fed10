"""notebooks/tour.ipynb runs top to bottom in a real Jupyter kernel (nbclient + ipykernel):
a cell that raises fails the test. Tiny settings through the environment keep it quick."""

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import REPO

TOUR = REPO / "notebooks" / "tour.ipynb"


def test_the_tour_is_stored_without_outputs():
    notebook = nbformat.read(TOUR, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.mark.slow
def test_the_tour_runs_top_to_bottom(tmp_path, synthetic_data_dir, monkeypatch):
    for name, value in {
        "TOUR_EPOCHS": "1",
        "TOUR_LIMIT": "300",
        "TOUR_DATA": synthetic_data_dir,
        "TOUR_OUT": tmp_path / "tour",
    }.items():
        monkeypatch.setenv(name, str(value))  # the kernel inherits this process's environment
    notebook = nbformat.read(TOUR, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(TOUR.parent)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, when a cell raises
    printed = "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))
    assert "TensorFlow loaded: False" in printed  # the letters load without TensorFlow
    assert "a mistake: --epochs: must be a whole number of at least 1, got 0" in printed
    assert str(tmp_path / "tour-conditional" / "report.html") in printed
    for name in ("report.html", "latent_grid.png", "metrics.json", "model.keras"):
        assert (tmp_path / "tour" / name).is_file(), name
    assert (tmp_path / "tour-conditional" / "written.png").is_file()
    images = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(images) >= 6  # the letters, the reconstructions, the grid, the scatter, the written words
