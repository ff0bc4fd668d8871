#!/usr/bin/env python3
"""Draws the Kiro Gateway app and tray icons (run from the repository root)."""
from PIL import Image, ImageDraw

ACCENT = (124, 58, 237, 255)  # violet
WHITE = (255, 255, 255, 255)


def app_icon(size):
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    r = size // 5
    d.rounded_rectangle([0, 0, size - 1, size - 1], radius=r, fill=ACCENT)
    # a gateway: two pillars and a lintel
    w = max(1, size // 10)
    left, right = size * 0.28, size * 0.72
    top, bottom = size * 0.26, size * 0.76
    d.rectangle([left - w / 2, top, left + w / 2, bottom], fill=WHITE)
    d.rectangle([right - w / 2, top, right + w / 2, bottom], fill=WHITE)
    d.rectangle([size * 0.18, top - w, size * 0.82, top + w * 0.2], fill=WHITE)
    return img


def tray_icon(colour, size=32):
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([1, 1, size - 2, size - 2], radius=7, fill=ACCENT)
    w = 3
    d.rectangle([8, 9, 8 + w, 24], fill=WHITE)
    d.rectangle([21, 9, 21 + w, 24], fill=WHITE)
    d.rectangle([6, 6, 26, 9], fill=WHITE)
    # status dot, bottom right
    d.ellipse([19, 19, 31, 31], fill=colour, outline=(30, 30, 30, 255))
    return img


for size, name in [(32, "32x32.png"), (128, "128x128.png"), (256, "128x128@2x.png"), (512, "icon.png")]:
    app_icon(size).save(f"icons/{name}")
app_icon(256).save("icons/icon.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
try:
    app_icon(512).save("icons/icon.icns")
except Exception as err:  # Pillow writes .icns on most platforms; macOS bundles need it
    print("no icns:", err)
tray_icon((34, 197, 94, 255)).save("icons/tray-running.png")
tray_icon((156, 163, 175, 255)).save("icons/tray-stopped.png")
tray_icon((239, 68, 68, 255)).save("icons/tray-error.png")
