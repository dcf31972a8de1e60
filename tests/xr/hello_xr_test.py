#!/usr/bin/python3
"""The Khronos sample client hello_xr against the TwinPlan XR test runtime (issue #20 item 6).

Run by CTest under tests/gui/with_xvfb.sh (hello_xr needs an X display and GLX; Mesa's llvmpipe
gives OpenGL 4.5 under Xvfb):

  hello_xr_test.py RUNTIME_JSON VIDMODE_SHIM WORK_DIR

Each case runs the real Debian hello_xr (libopenxr-utils) through the real OpenXR loader with
XR_RUNTIME_JSON naming the test runtime, and checks what the runtime recorded: the session
states it went through, the frames it received, the images it read back from the swapchains.
Expected values come from the OpenXR specification and from projecting hello_xr's own scene
(OpenXR-SDK-Source 1.0.20, src/tests/hello_xr/openxr_program.cpp) by hand.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import unittest
import zlib

import numpy as np

RUNTIME_JSON, SHIM, WORK_DIR = sys.argv[1:4]
del sys.argv[1:4]
HELLO_XR = shutil.which("hello_xr") or "/usr/bin/hello_xr"

IPD_M = 0.063  # the runtime's default (Dodgson 2004)
EYE_W, EYE_H = 320, 360
# The runtime's default frusta, degrees: left eye -50/+40 horizontally, both +45/-50 vertically.
LEFT_FOV = (-50.0, 40.0, 45.0, -50.0)
RIGHT_FOV = (-40.0, 50.0, 45.0, -50.0)
EXPECTED_STATES = ["IDLE", "READY", "SYNCHRONIZED", "VISIBLE", "FOCUSED", "VISIBLE", "SYNCHRONIZED",
                   "STOPPING", "IDLE", "EXITING"]


def read_png(path):
    """8-bit RGBA PNG with filter 0 rows, as the runtime writes them -> (h, w, 4) uint8."""
    with open(path, "rb") as png:
        data = png.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        crc = int.from_bytes(data[pos + 8 + length:pos + 12 + length], "big")
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"{path}: bad CRC in {kind}"
        if kind == b"IHDR":
            width, height = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big")
            assert body[8:13] == bytes([8, 6, 0, 0, 0]), f"{path}: not 8-bit RGBA"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, width * 4 + 1)
    assert (rows[:, 0] == 0).all(), f"{path}: unexpected row filter"
    return rows[:, 1:].reshape(height, width, 4)


def project_x_px(x, z, fov_deg, width):
    """Pixel column (continuous, 0 = left edge) of a point (x, z<0) in an eye with an
    asymmetric frustum: the OpenXR projection (hello_xr's XrMatrix4x4f_CreateProjectionFov)."""
    tan_l, tan_r = math.tan(math.radians(fov_deg[0])), math.tan(math.radians(fov_deg[1]))
    ndc = (2.0 * (x / -z) - (tan_r + tan_l)) / (tan_r - tan_l)
    return (ndc + 1.0) / 2.0 * width


def project_y_px_from_top(y, z, fov_deg, height):
    tan_u, tan_d = math.tan(math.radians(fov_deg[2])), math.tan(math.radians(fov_deg[3]))
    ndc = (2.0 * (y / -z) - (tan_u + tan_d)) / (tan_u - tan_d)
    return (1.0 - ndc) / 2.0 * height


def blue_centroid(image, rows, cols):
    """Centre (column, row) of the pure-blue pixels (a cube's +Z face in hello_xr) in a window."""
    window = image[rows[0]:rows[1], cols[0]:cols[1]].astype(int)
    mask = (window[..., 2] > 200) & (window[..., 0] < 40) & (window[..., 1] < 40)
    ys, xs = np.nonzero(mask)
    assert len(xs) > 20, "the cube in front of the viewer is missing"
    return xs.mean() + 0.5 + cols[0], ys.mean() + 0.5 + rows[0]


class HelloXrAgainstTestRuntime(unittest.TestCase):
    def run_hello_xr(self, name, args=(), script=None, env_extra=None, timeout_s=120):
        work = os.path.join(WORK_DIR, name)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        env = dict(os.environ)
        env.update({"XR_RUNTIME_JSON": RUNTIME_JSON, "LD_PRELOAD": SHIM,
                    "TWINPLAN_XR_TEST_LOG": os.path.join(work, "log.jsonl"),
                    "TWINPLAN_XR_TEST_RECORD_DIR": os.path.join(work, "frames")})
        for key in ("TWINPLAN_XR_TEST_SCRIPT", "TWINPLAN_XR_TEST_EXIT_AFTER_FRAMES",
                    "TWINPLAN_XR_TEST_BLEND_MODES"):
            env.pop(key, None)
        if script is not None:
            path = os.path.join(work, "script.json")
            with open(path, "w") as out:
                json.dump(script, out)
            env["TWINPLAN_XR_TEST_SCRIPT"] = path
        env.update(env_extra or {})
        # hello_xr quits when a key arrives on stdin (main.cpp's getchar thread): an open pipe
        # that is never written keeps it running until the runtime ends the session.
        # (subprocess.run would close stdin at once.) Output goes to a file, so no pipe fills.
        output_path = os.path.join(work, "hello_xr.txt")
        with open(output_path, "w") as output:
            proc = subprocess.Popen([HELLO_XR, "-g", "OpenGL", *args], stdin=subprocess.PIPE,
                                    stdout=output, stderr=subprocess.STDOUT, env=env)
            try:
                proc.wait(timeout=timeout_s)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                proc.stdin.close()
        with open(output_path) as output:
            proc.stdout = output.read()
        events = []
        log_path = os.path.join(work, "log.jsonl")
        if os.path.exists(log_path):
            with open(log_path) as log:
                events = [json.loads(line) for line in log]
        return proc, events, os.path.join(work, "frames")

    def states(self, events):
        return [e["to"].replace("XR_SESSION_STATE_", "") for e in events if e["event"] == "state"]

    def test_runs_n_frames_and_exits_cleanly(self):
        proc, events, frames = self.run_hello_xr(
            "opaque", env_extra={"TWINPLAN_XR_TEST_EXIT_AFTER_FRAMES": "20"})
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertEqual(self.states(events), EXPECTED_STATES)
        names = [e["event"] for e in events]
        # The client ended, destroyed the session, then the instance: a clean exit.
        self.assertLess(names.index("xrEndSession"), names.index("xrDestroySession"))
        self.assertEqual(names[-1], "xrDestroyInstance")
        shown = [e for e in events if e["event"] == "frame" and e["layers"] > 0]
        self.assertEqual(len(shown), 20)
        self.assertEqual(shown[-1]["displayed"], 20)
        for eye in ("left", "right"):
            for n in range(1, 21):
                self.assertTrue(os.path.exists(os.path.join(frames, f"frame_{n:05d}_{eye}.png")))
        # hello_xr submits the poses and frusta xrLocateViews gave: eyes IPD apart in LOCAL.
        views = shown[-1]["views"]
        self.assertAlmostEqual(views[0]["pose"]["position_m"][0], -IPD_M / 2, places=5)
        self.assertAlmostEqual(views[1]["pose"]["position_m"][0], IPD_M / 2, places=5)
        for view, fov in zip(views, (LEFT_FOV, RIGHT_FOV)):
            got = [view["fov"][k] for k in ("left", "right", "up", "down")]
            for g, want in zip(got, fov):
                self.assertAlmostEqual(g, math.radians(want), places=4)
            self.assertEqual((view["width"], view["height"]), (EYE_W, EYE_H))
            self.assertEqual(view["format"], 0x8058)  # GL_RGBA8: hello_xr skips sRGB

    def test_recorded_eyes_show_the_expected_parallax(self):
        # The head 0.3 m above the STAGE origin and 0.6 m behind it, looking along -Z: hello_xr's
        # 0.25 m "Stage" cube sits at the origin, so its blue +Z face is a square centred
        # 0.475 m ahead and 0.3 m below the eyes. The controllers are put behind the head.
        script = {"head": [{"frame": 0, "position_m": [0.0, 0.3, 0.6]}],
                  "left_hand": [{"frame": 0, "position_m": [-0.2, 0.3, 2.0]}],
                  "right_hand": [{"frame": 0, "position_m": [0.2, 0.3, 2.0]}],
                  "exit_after_frames": 3}
        proc, _, frames = self.run_hello_xr("parallax", args=["-s", "Stage"], script=script)
        self.assertEqual(proc.returncode, 0, proc.stdout)
        left = read_png(os.path.join(frames, "frame_00003_left.png"))
        right = read_png(os.path.join(frames, "frame_00003_right.png"))
        self.assertEqual(left.shape, (EYE_H, EYE_W, 4))
        # hello_xr's clear colour, DarkSlateGray (0.184, 0.310, 0.310) in the corner.
        np.testing.assert_allclose(left[0, 0, :3], [47, 79, 79], atol=1)
        face_z, face_y = -(0.6 - 0.125), -0.3
        rows, cols = (200, 340), (60, 290)
        centres = {}
        for name, image, eye_x, fov in (("left", left, -IPD_M / 2, LEFT_FOV),
                                        ("right", right, IPD_M / 2, RIGHT_FOV)):
            want_x = project_x_px(0.0 - eye_x, face_z, fov, EYE_W)
            want_y = project_y_px_from_top(face_y, face_z, fov, EYE_H)
            got_x, got_y = blue_centroid(image, rows, cols)
            print(f"{name} eye: face centre at ({got_x:.2f}, {got_y:.2f}) px, "
                  f"projected ({want_x:.2f}, {want_y:.2f}) px")
            # Rasterisation puts each edge of the square on a pixel boundary: half a pixel.
            self.assertAlmostEqual(got_x, want_x, delta=0.6)
            self.assertAlmostEqual(got_y, want_y, delta=0.6)
            centres[name] = got_x
        # The shift between the eyes: the IPD's parallax at 0.475 m (about 21 px of it) plus
        # the frusta's asymmetry; half a pixel of rasterisation per eye. 5 mm more IPD would
        # move it by 1.7 px.
        want = (project_x_px(IPD_M / 2, face_z, LEFT_FOV, EYE_W) -
                project_x_px(-IPD_M / 2, face_z, RIGHT_FOV, EYE_W))
        self.assertAlmostEqual(centres["left"] - centres["right"], want, delta=1.0)

    def test_scripted_head_controllers_and_buttons(self):
        # The head walks 0.2 m to the right over 20 frames; the right controller's select is
        # pressed at frame 5 (hello_xr's grab: it answers with a haptic pulse above 0.9) and the
        # left menu button at frame 12 (hello_xr's quit: xrRequestExitSession).
        script = {
            "head": [{"frame": 0, "position_m": [0.0, 1.6, 0.0]},
                     {"frame": 20, "position_m": [0.2, 1.6, 0.0]}],
            "inputs": {"/user/hand/right/input/select/click": [{"frame": 5, "value": 1}],
                       "/user/hand/left/input/menu/click": [{"frame": 12, "value": 1}]},
        }
        proc, events, _ = self.run_hello_xr("scripted", args=["-s", "Stage"], script=script)
        self.assertEqual(proc.returncode, 0, proc.stdout)
        names = [e["event"] for e in events]
        self.assertIn("xrRequestExitSession", names)
        self.assertEqual(self.states(events), EXPECTED_STATES)
        haptics = [e for e in events if e["event"] == "haptic"]
        self.assertTrue(haptics)
        self.assertTrue(all(h["subaction"] == "/user/hand/right" for h in haptics))
        frames = {e["frame"]: e for e in events if e["event"] == "frame" and e["layers"] > 0}
        # In STAGE, frame 10's eyes straddle x = 0.1 m at 1.6 m height.
        views = frames[10]["views"]
        self.assertAlmostEqual(views[0]["pose"]["position_m"][0], 0.1 - IPD_M / 2, places=4)
        self.assertAlmostEqual(views[1]["pose"]["position_m"][0], 0.1 + IPD_M / 2, places=4)
        self.assertAlmostEqual(views[0]["pose"]["position_m"][1], 1.6, places=4)
        # The menu press at frame 12 ends the session: no frame is shown after it.
        self.assertLessEqual(max(frames), 13)

    def test_alpha_blend_headset(self):
        proc, events, _ = self.run_hello_xr(
            "alpha", args=["-bm", "AlphaBlend"],
            env_extra={"TWINPLAN_XR_TEST_EXIT_AFTER_FRAMES": "3",
                       "TWINPLAN_XR_TEST_BLEND_MODES": "alpha_blend,additive"})
        self.assertEqual(proc.returncode, 0, proc.stdout)
        modes = {e["blend_mode"] for e in events if e["event"] == "frame"}
        self.assertEqual(modes, {"alpha_blend"})

    def test_blend_mode_the_headset_lacks_is_refused(self):
        # An opaque-only headset: hello_xr asks for additive, finds it missing and stops before
        # a session exists.
        proc, events, _ = self.run_hello_xr(
            "additive_missing", args=["-bm", "Additive"],
            env_extra={"TWINPLAN_XR_TEST_BLEND_MODES": "opaque"})
        self.assertNotEqual(proc.returncode, 0)
        self.assertNotIn("xrCreateSession", [e["event"] for e in events])


if __name__ == "__main__":
    unittest.main(verbosity=2)
