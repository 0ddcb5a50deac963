"""What a CUDA build produces: the kernels' launch configurations next to the PTX (or cubin),
serialised as one byte string (a JSON header, then the image) so it travels like a CPU artifact."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

MAGIC = b"RTMSCUDA1\n"


@dataclass
class KernelLaunch:
    """One `__global__` function and how to launch it. args: per kernel argument, ("param", i)
    or ("workspace", j); grid/block: (x, y, z); dyn_shared_bytes: dynamic shared memory;
    static_shared_bytes: `__shared__` arrays (for the limit checks); vthreads: virtual threads
    per thread."""

    name: str
    grid: tuple
    block: tuple
    args: list
    dyn_shared_bytes: int = 0
    static_shared_bytes: int = 0
    vthreads: int = 1

    @property
    def threads(self) -> int:
        return self.block[0] * self.block[1] * self.block[2]

    @property
    def shared_bytes(self) -> int:
        return self.dyn_shared_bytes + self.static_shared_bytes


@dataclass
class CudaArtifact:
    """The kernels run in order on the function's parameters (params: [(name, shape, dtype)])
    and its global intermediates (workspaces: [(name, bytes)], allocated by the runner).
    image: PTX text (image_kind "ptx") or a cubin ("cubin"); source: the CUDA C."""

    func_name: str
    params: list
    workspaces: list
    kernels: list
    source: str
    image: bytes = b""
    image_kind: str = "ptx"
    arch: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def ptx(self) -> str:
        if self.image_kind != "ptx":
            raise ValueError(f"the artifact of {self.func_name!r} holds a {self.image_kind}, not PTX")
        return self.image.decode()

    def to_bytes(self) -> bytes:
        head = asdict(self)
        head.pop("image")
        text = json.dumps(head).encode()
        return MAGIC + len(text).to_bytes(8, "little") + text + self.image

    @staticmethod
    def is_cuda_artifact(data: bytes) -> bool:
        return bytes(data[:len(MAGIC)]) == MAGIC

    @staticmethod
    def from_bytes(data: bytes) -> CudaArtifact:
        if not CudaArtifact.is_cuda_artifact(data):
            raise ValueError("not a CUDA artifact (missing the RTMSCUDA header)")
        n = int.from_bytes(data[len(MAGIC):len(MAGIC) + 8], "little")
        start = len(MAGIC) + 8
        head = json.loads(data[start:start + n])
        head["kernels"] = [KernelLaunch(**{**k, "grid": tuple(k["grid"]), "block": tuple(k["block"]),
                                           "args": [tuple(a) for a in k["args"]]}) for k in head["kernels"]]
        head["params"] = [(p[0], tuple(p[1]), p[2]) for p in head["params"]]
        head["workspaces"] = [tuple(w) for w in head["workspaces"]]
        return CudaArtifact(image=bytes(data[start + n:]), **head)
