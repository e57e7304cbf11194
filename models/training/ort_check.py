#!/usr/bin/python3
"""Optional check of exported models with the real ONNX Runtime native library (the one the C# runtime
binds), through ctypes and the ORT C API (no onnxruntime Python package needed).

Looks for the library in $ROTOSCOPE_ORT_LIBRARY (this script only: another libonnxruntime.so to check against), then
beside the CLI build (.build/cli/libonnxruntime.so, from the Microsoft.ML.OnnxRuntime NuGet package).
Runs each model on random inputs of several sizes and compares with the torch module that produced it.
Usage: /usr/bin/python3 models/training/ort_check.py [models_dir] ; exits 0 with a note if no library.
"""
import ctypes as C
import json
import os
import sys

import numpy as np

API_VERSION = 30
# OrtApi function-table indices (onnxruntime_c_api.h; the table only grows at the end).
IDX = dict(GetErrorMessage=2, CreateEnv=3, CreateSession=7, Run=9, CreateSessionOptions=10,
           SetIntraOpNumThreads=24, CreateTensorWithDataAsOrtValue=49, GetTensorMutableData=51,
           CreateCpuMemoryInfo=69, ReleaseEnv=92, ReleaseStatus=93, ReleaseMemoryInfo=94, ReleaseSession=95,
           ReleaseValue=96, ReleaseSessionOptions=100)
P = C.c_void_p
SIGS = dict(
    GetErrorMessage=(C.c_char_p, [P]),
    CreateEnv=(P, [C.c_int, C.c_char_p, C.POINTER(P)]),
    CreateSession=(P, [P, C.c_char_p, P, C.POINTER(P)]),
    Run=(P, [P, P, C.POINTER(C.c_char_p), C.POINTER(P), C.c_size_t, C.POINTER(C.c_char_p), C.c_size_t,
             C.POINTER(P)]),
    CreateSessionOptions=(P, [C.POINTER(P)]),
    SetIntraOpNumThreads=(P, [P, C.c_int]),
    CreateTensorWithDataAsOrtValue=(P, [P, P, C.c_size_t, C.POINTER(C.c_int64), C.c_size_t, C.c_int,
                                        C.POINTER(P)]),
    GetTensorMutableData=(P, [P, C.POINTER(P)]),
    CreateCpuMemoryInfo=(P, [C.c_int, C.c_int, C.POINTER(P)]),
    ReleaseEnv=(None, [P]), ReleaseStatus=(None, [P]), ReleaseMemoryInfo=(None, [P]), ReleaseSession=(None, [P]),
    ReleaseValue=(None, [P]), ReleaseSessionOptions=(None, [P]))


def find_library():
    env = os.environ.get("ROTOSCOPE_ORT_LIBRARY")
    if env and os.path.exists(env):
        return env
    built = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".build", "cli", "libonnxruntime.so")
    return os.path.normpath(built) if os.path.exists(built) else None


class Ort:
    def __init__(self, lib_path):
        lib = C.CDLL(lib_path)
        lib.OrtGetApiBase.restype = P
        base = C.cast(lib.OrtGetApiBase(), C.POINTER(P))
        get_api = C.CFUNCTYPE(P, C.c_uint32)(base[0])
        api = get_api(API_VERSION)
        if not api:
            raise RuntimeError("ORT does not support API version %d" % API_VERSION)
        table = C.cast(api, C.POINTER(P))
        self.f = {}
        for name, idx in IDX.items():
            res, args = SIGS[name]
            self.f[name] = C.CFUNCTYPE(res, *args)(table[idx])
        self.env = P()
        self._ok(self.f["CreateEnv"](3, b"models-check", C.byref(self.env)))
        self.mem = P()
        self._ok(self.f["CreateCpuMemoryInfo"](1, 0, C.byref(self.mem)))

    def _ok(self, status):
        if status:
            msg = self.f["GetErrorMessage"](status).decode()
            self.f["ReleaseStatus"](status)
            raise RuntimeError(msg)

    def run(self, model_path, x):
        opts, sess = P(), P()
        self._ok(self.f["CreateSessionOptions"](C.byref(opts)))
        self._ok(self.f["SetIntraOpNumThreads"](opts, 2))
        try:
            self._ok(self.f["CreateSession"](self.env, model_path.encode(), opts, C.byref(sess)))
        finally:
            self.f["ReleaseSessionOptions"](opts)
        try:
            x = np.ascontiguousarray(x, dtype=np.float32)
            shape = (C.c_int64 * 4)(*x.shape)
            val, out = P(), P()
            self._ok(self.f["CreateTensorWithDataAsOrtValue"](self.mem, x.ctypes.data_as(P), x.nbytes, shape, 4, 1,
                                                              C.byref(val)))
            try:
                names_in = (C.c_char_p * 1)(b"input")
                names_out = (C.c_char_p * 1)(b"output")
                self._ok(self.f["Run"](sess, None, names_in, (P * 1)(val), 1, names_out, 1, C.byref(out)))
                ptr = P()
                self._ok(self.f["GetTensorMutableData"](out, C.byref(ptr)))
                y = np.ctypeslib.as_array(C.cast(ptr, C.POINTER(C.c_float)), shape=x.shape).copy()
                self.f["ReleaseValue"](out)
                return y
            finally:
                self.f["ReleaseValue"](val)
        finally:
            self.f["ReleaseSession"](sess)


def check_models(modules, models_dir, sizes=((1, 64, 64), (2, 36, 52), (1, 360, 640))):
    """modules: {id: torch module}. Returns {id: max abs diff} or None if no ORT library."""
    import torch
    lib = find_library()
    if not lib:
        return None
    ort = Ort(lib)
    res = {}
    for mid, mod in modules.items():
        path = os.path.join(models_dir, mid, "model.onnx")
        worst = 0.0
        for n, h, w in sizes:
            x = np.random.default_rng(h * w).uniform(0, 255, (n, 3, h, w)).astype(np.float32)
            y = ort.run(path, x)
            with torch.no_grad():
                t = mod.eval()(torch.from_numpy(x)).numpy()
            assert y.shape == x.shape, (mid, y.shape)
            assert y.min() >= 0 and y.max() <= 255, (mid, y.min(), y.max())
            worst = max(worst, float(np.abs(y - t).max()))
        res[mid] = worst
    return res


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import build_all
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    r = check_models(build_all.torch_modules(d), d)
    print(json.dumps({"ortLibrary": find_library(), "maxAbsDiff": r}))
