"""The kernel class the ``nnlab`` kernelspec runs: IPython's, minus one field.

JupyterLab copies the kernel's ``language_info`` into a notebook's metadata
when it connects, and saves it. IPython's includes the interpreter's version
("3.11.7"), so merely opening and saving a stored notebook on another
machine would change the file. This kernel reports the same
``language_info`` without the version, which is what `nnlab.execute` stores
(`nnlab.execute.LANGUAGE_INFO`). Nothing else changes.

References
----------
Jupyter messaging, "Kernel info": the ``language_info`` fields
(https://jupyter-client.readthedocs.io/en/stable/messaging.html#kernel-info).
"""

from ipykernel.ipkernel import IPythonKernel


class NnlabKernel(IPythonKernel):
    """`IPythonKernel` whose ``language_info`` has no interpreter version."""

    language_info = {
        k: v for k, v in IPythonKernel.language_info.items() if k != "version"
    }
