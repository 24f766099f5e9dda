#!/usr/bin/env python3
"""Rewrites a GGUF model with its quantized tensors as F16, everything else as it was.

    to_f16_gguf.py IN.gguf OUT.gguf

Every quantized tensor is dequantized (with the `gguf` package's reference dequantizer) and
stored as F16; F32 and F16 tensors are copied; every metadata key is copied except the file
type, which becomes "mostly F16". The weights keep the precision they had in IN (an F16 copy of
a Q4_1 model answers as the Q4_1 model does, up to rounding), so the copy is a real model's
architecture, vocabulary and chat template in the layout llama.cpp decodes fastest in batches
on a CPU: scripts/bench-inference.sh measures batched decoding on SmolLM2 in both.
Requires the PyPI package `gguf` (scripts/model/requirements.txt).
"""
import sys

import numpy as np
import gguf

KEEP = {gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16}


def main(src, dst):
    reader = gguf.GGUFReader(src)
    arch = reader.fields["general.architecture"].contents()
    writer = gguf.GGUFWriter(dst, arch)
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name in ("general.architecture", "general.file_type"):
            continue
        vtype = field.types[0]
        sub_type = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, field.contents(), vtype, sub_type=sub_type)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    for tensor in reader.tensors:
        if tensor.tensor_type in KEEP:
            data = np.array(tensor.data)
        else:
            data = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float16)
        # The reader's shape lists dimensions innermost first; numpy's is the reverse.
        shape = tuple(int(d) for d in reversed(tensor.shape.tolist()))
        writer.add_tensor(tensor.name, data.reshape(shape))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
