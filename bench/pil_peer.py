"""The peer a user without TensorFlow writes: PIL reads each header, crc32c frames a minimal Example (python3-pil, python3-crc32c)."""
import io, os, sys, crc32c
from PIL import Image

def varint(n): return bytes([(n >> s & 0x7F) | (0x80 if n >> (s + 7) else 0) for s in range(0, max(7, n.bit_length() + 6) // 7 * 7, 7)])
def field(number, data): return varint(number << 3 | 2) + varint(len(data)) + data
def feature(key, kind, value): return field(1, field(1, key.encode()) + field(2, field(kind, field(1, value))))  # map entry -> Feature -> list
def masked(data): c = crc32c.crc32c(data); return ((((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF).to_bytes(4, 'little')

root, out_path = sys.argv[1], sys.argv[2]
classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
with open(out_path, 'wb') as out:
    for label, name in enumerate(classes):
        for file in sorted(os.listdir(os.path.join(root, name))):
            data = open(os.path.join(root, name, file), 'rb').read()
            width, height = Image.open(io.BytesIO(data)).size  # header only: PIL decodes nothing until asked
            example = field(1, feature('image/encoded', 1, data) + feature('image/height', 3, varint(height))
                            + feature('image/width', 3, varint(width)) + feature('image/class/label', 3, varint(label)))
            length = len(example).to_bytes(8, 'little')
            out.write(length + masked(length) + example + masked(example))
