"""Environment variables that make this machine compute like an older x86-64 CPU.

We have one machine, but users have many. Lowering the instruction sets that numpy, OpenCV,
numba, OpenBLAS, glibc's libm (``SIMD``) and PyTorch's ATen/oneDNN kernels (``KERNELS``) may
dispatch to is the closest stand-in for running on another CPU type: every library then takes
the SSE code paths an AVX-less machine would. Data generation must not notice (the portable
determinism test); training does, and ``studies/spread.py`` measures by how much.
"""
from __future__ import annotations

SIMD: dict[str, str] = {
    "NPY_DISABLE_CPU_FEATURES": "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX2 FMA3 F16C AVX",
    "OPENCV_CPU_DISABLE": "AVX512_SKX,AVX512_COMMON,AVX2,FMA3,AVX,FP16",
    "NUMBA_CPU_NAME": "generic",
    "OPENBLAS_CORETYPE": "Prescott",
    "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX512F,-AVX2,-FMA,-AVX,-AVX2_Usable,-FMA_Usable,-AVX_Usable",
}

KERNELS: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "default",   # ATen's vectorised ops: the scalar/SSE build, no AVX2/AVX-512
    "ONEDNN_MAX_CPU_ISA": "SSE41",       # oneDNN convolutions and matmuls: SSE4.1 kernels
}

LOWERED: dict[str, str] = {**SIMD, **KERNELS}
"""Everything lowered: the stand-in for another CPU type."""


def cpu_name() -> str:
    """The CPU model as /proc/cpuinfo names it ("unknown" elsewhere): recorded next to results."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"
