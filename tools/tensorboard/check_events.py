#!/usr/bin/python3
"""Independent check of TensorBoard event files written by NativeNet (nativenet train --log-dir DIR, or Keras' TensorBoard
callback): TFRecord framing with masked CRC-32C (crcmod's predefined 'crc-32c'), Event/Summary protobufs decoded by
classes that Debian's protoc generates from tb_event.proto. Prints every scalar; exits 1 on any framing or CRC error.

Needs Debian's python3-crcmod, python3-protobuf and protobuf-compiler. Usage: tools/tensorboard/check_events.py DIR
"""
import glob, os, struct, subprocess, sys, tempfile

import crcmod.predefined

crc32c = crcmod.predefined.mkCrcFun("crc-32c")


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        header = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (len_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if masked(header) != len_crc:
            raise ValueError(f"{path}: bad length CRC at offset {pos}")
        body = data[pos + 12:pos + 12 + length]
        (body_crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        if len(body) != length or masked(body) != body_crc:
            raise ValueError(f"{path}: bad data CRC at offset {pos}")
        yield body
        pos += 16 + length


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    out = tempfile.mkdtemp()
    subprocess.run(["protoc", f"--proto_path={here}", f"--python_out={out}", "tb_event.proto"], check=True)
    sys.path.insert(0, out)
    import tb_event_pb2

    files = sorted(glob.glob(os.path.join(sys.argv[1], "**", "events.out.tfevents.*"), recursive=True))
    if not files:
        print(f"no events.out.tfevents.* under {sys.argv[1]}")
        return 1
    for path in files:
        events = [tb_event_pb2.Event.FromString(r) for r in records(path)]
        if not events or events[0].file_version != "brain.Event:2":
            raise ValueError(f"{path}: the first event must carry file_version brain.Event:2")
        print(f"{os.path.relpath(path, sys.argv[1])}: {len(events)} records, CRCs ok")
        for e in events[1:]:
            for v in e.summary.value:
                print(f"  step {e.step:4d}  {v.tag:24s} {v.simple_value:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
