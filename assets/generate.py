#!/usr/bin/env python3
"""Generates zimbot's sample media: small, deterministic files the example plugins send.

Run from the repository root:  python3 assets/generate.py
Writes assets/announcement.png, assets/chime.wav, assets/guide.pdf and three files in assets/posts/.
Only the standard library is used, and every byte is computed here, so the output is the same on every run.
"""

import math
import struct
import zlib
from pathlib import Path

ASSETS = Path(__file__).resolve().parent


def png(width, height, pixel):
    """An 8-bit RGB PNG; pixel(x, y) returns (r, g, b)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def banner(x, y):
    """A blue-to-teal gradient with a white diagonal stripe: the announcement banner."""
    if abs((x - y) - 8) < 4:
        return (255, 255, 255)
    return (20, 60 + y * 2, 140 + x)


def sunrise(x, y):
    """An orange sky over a dark horizon."""
    if y > 44:
        return (30, 40, 30)
    return (250, 120 + y * 2, 40 + x)


def wav(seconds, notes, rate=8000):
    """Mono 8-bit PCM: each note (Hz) plays for an equal share of `seconds`, fading out."""
    samples = bytearray()
    per_note = int(seconds * rate / len(notes))
    for frequency in notes:
        for index in range(per_note):
            fade = 1.0 - index / per_note
            value = math.sin(2 * math.pi * frequency * index / rate) * fade
            samples.append(128 + int(100 * value))
    header = b"RIFF" + struct.pack("<I", 36 + len(samples)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate, 1, 8)
    return header + fmt + b"data" + struct.pack("<I", len(samples)) + bytes(samples)


def pdf(lines):
    """A one-page PDF showing `lines` in Helvetica."""
    text = "BT /F1 14 Tf 50 780 Td 18 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    table = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{table}\n%%EOF\n".encode()
    return bytes(out)


FILES = {
    "announcement.png": png(64, 64, banner),
    "chime.wav": wav(0.3, [660, 880]),
    "guide.pdf": pdf(["zimbot sample guide", "Send !help to the echo bot to see its commands."]),
    "posts/01-sunrise.png": png(48, 48, sunrise),
    "posts/02-jingle.wav": wav(0.25, [523, 659, 784]),
    "posts/03-notes.txt": b"Scheduled post 3 of 3: the media-poster bot starts again from the first file next.\n",
}

if __name__ == "__main__":
    for name, data in FILES.items():
        path = ASSETS / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"{path.relative_to(ASSETS.parent)}: {len(data)} bytes")
