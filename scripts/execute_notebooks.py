"""Re-executes notebooks in place at the budget in $ENAS_NOTEBOOK_BUDGET (default "small") and saves their outputs
as a notebook front end shows them: consecutive stream outputs merged, carriage returns applied (a progress bar keeps
its final state instead of hundreds of updates).

    ENAS_NOTEBOOK_BUDGET=small python3 scripts/execute_notebooks.py notebooks/*.ipynb
"""

import os
import sys
import time

import nbformat
from nbclient import NotebookClient


def final_text(text):
    """Each line as a terminal leaves it: only what follows its last carriage return."""
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.split("\n"))


def tidy(notebook):
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        merged = []
        for output in cell.outputs:
            if (output.output_type == "stream" and merged and merged[-1].output_type == "stream"
                    and merged[-1].name == output.name):
                merged[-1].text += output.text
            else:
                merged.append(output)
        for output in merged:
            if output.output_type == "stream":
                output.text = final_text(output.text)
        cell.outputs = merged
    return notebook


def main(paths):
    for path in paths:
        start = time.monotonic()
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=None, kernel_name="python3",
                       resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}}).execute()
        nbformat.write(tidy(notebook), path)
        print(f"{path}: {time.monotonic() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
