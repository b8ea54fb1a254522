"""Build the compiled core.

``CYEVM_DEBUG=1`` builds with bounds checks, assertions and line tracing for
hunting bugs (much slower). ``CYEVM_SANITIZE=1`` builds with AddressSanitizer
and UndefinedBehaviorSanitizer (see .ci/sanitize for how to run it).
``CYEVM_FUZZ=1`` builds with clang for coverage-guided fuzzing with atheris:
libFuzzer's coverage instrumentation and AddressSanitizer (see
evm/fuzz/atheris_target.py for how to run it).
"""
import os

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("CYEVM_DEBUG", "") not in ("", "0")
SANITIZE = os.environ.get("CYEVM_SANITIZE", "") not in ("", "0")
FUZZ = os.environ.get("CYEVM_FUZZ", "") not in ("", "0")

directives = {"language_level": "3"}
macros = []
ldflags = []
if DEBUG:
    directives.update(boundscheck=True, wraparound=True, linetrace=True,
                      initializedcheck=True, cdivision=False)
    macros = [("CYTHON_TRACE_NOGIL", "1")]
    cflags = ["-O0", "-g"]
else:
    cflags = ["-O3", "-fno-inline-functions-called-once", "--param=max-inline-insns-single=1000", "--param=large-function-growth=400"]
if SANITIZE:
    sanitizers = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                  "-fno-omit-frame-pointer"]
    cflags = ["-O1", "-g"] + sanitizers
    ldflags = sanitizers
if FUZZ:
    # libFuzzer's instrumentation is clang's; atheris supplies the runtime
    os.environ.setdefault("CC", "clang")
    os.environ.setdefault("LDSHARED", "clang -shared")
    sanitizers = ["-fsanitize=fuzzer-no-link,address", "-fno-omit-frame-pointer"]
    cflags = ["-O1", "-g"] + sanitizers
    ldflags = sanitizers

ext = Extension(
    "evm._core",
    ["evm/_core.pyx"],
    include_dirs=["evm"],
    extra_compile_args=cflags,
    extra_link_args=ldflags,
    define_macros=macros,
)

setup(ext_modules=cythonize([ext], compiler_directives=directives,
                            annotate=bool(os.environ.get("CYEVM_ANNOTATE"))))
