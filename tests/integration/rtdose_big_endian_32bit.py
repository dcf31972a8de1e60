#!/usr/bin/python3
"""Writes an RT Dose as 32-bit Explicit VR Big Endian with the same dose (test input).

usage: rtdose_big_endian_32bit.py SOURCE_RD OUTPUT

Stored values are multiplied by 257 (0x101) and Dose Grid Scaling divided by 257, so the
dose is unchanged while most values use both 16-bit halves of their 32-bit cell (a decoder
that swaps the halves reads 65536x too much). pydicom writes the cells as '>u4': one
big-endian 32-bit integer each (PS3.5 7.3).
"""
import sys

import numpy as np
import pydicom
from pydicom.uid import ExplicitVRBigEndian

FACTOR = 257

ds = pydicom.dcmread(sys.argv[1])
stored = ds.pixel_array.astype(np.uint32) * FACTOR
ds.BitsAllocated = 32
ds.BitsStored = 32
ds.HighBit = 31
ds.PixelRepresentation = 0
ds.DoseGridScaling = f"{float(ds.DoseGridScaling) / FACTOR:.9E}"
ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
ds.is_little_endian = False
ds.is_implicit_VR = False
ds.PixelData = stored.astype(">u4").tobytes()
ds["PixelData"].VR = "OW"
ds.save_as(sys.argv[2], write_like_original=False)
