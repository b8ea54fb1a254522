"""Build the compiled core. ``CYEVM_DEBUG=1`` builds with bounds checks,
assertions and line tracing for hunting bugs (much slower)."""
import os

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("CYEVM_DEBUG", "") not in ("", "0")

directives = {"language_level": "3"}
if DEBUG:
    directives.update(boundscheck=True, wraparound=True, linetrace=True,
                      initializedcheck=True, cdivision=False)
    macros = [("CYTHON_TRACE_NOGIL", "1")]
    cflags = ["-O0", "-g"]
else:
    macros = []
    cflags = ["-O3", "-fno-inline-functions-called-once"]

ext = Extension(
    "evm._core",
    ["evm/_core.pyx"],
    include_dirs=["evm"],
    extra_compile_args=cflags,
    define_macros=macros,
)

setup(ext_modules=cythonize([ext], compiler_directives=directives,
                            annotate=bool(os.environ.get("CYEVM_ANNOTATE"))))
