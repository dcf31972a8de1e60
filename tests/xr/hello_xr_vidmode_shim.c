/* Preloaded into hello_xr by the XR tests (LD_PRELOAD), nowhere else.
 *
 * hello_xr's window helper (OpenXR-SDK-Source src/common/gfxwrapper_opengl.c, Xlib path) reads
 * the X server's video modes with XF86VidModeGetAllModeLines and uses the first entry without
 * checking the count. Xvfb has no XFree86-VidModeExtension, so the list is empty and hello_xr
 * crashes before it creates its GL context. This shim answers with the one mode Xvfb has: the
 * screen's size at 60 Hz. hello_xr only asks for it to size a non-fullscreen window. */
#include <X11/Xlib.h>
#include <X11/extensions/xf86vmode.h>
#include <stdlib.h>

Bool XF86VidModeGetAllModeLines(Display* display, int screen, int* count,
                                XF86VidModeModeInfo*** modes) {
  /* One block, the pointer array first, as libXxf86vm allocates it: the caller XFree()s it. */
  void* block = calloc(1, sizeof(XF86VidModeModeInfo*) + sizeof(XF86VidModeModeInfo));
  if (block == NULL) return False;
  XF86VidModeModeInfo** list = (XF86VidModeModeInfo**)block;
  XF86VidModeModeInfo* mode = (XF86VidModeModeInfo*)(list + 1);
  mode->hdisplay = (unsigned short)DisplayWidth(display, screen);
  mode->vdisplay = (unsigned short)DisplayHeight(display, screen);
  mode->htotal = mode->hdisplay;
  mode->vtotal = mode->vdisplay;
  /* dot clock in kHz such that dotclock * 1000 / (htotal * vtotal) = 60 Hz */
  mode->dotclock = (unsigned int)(60.0 * mode->htotal * mode->vtotal / 1000.0);
  list[0] = mode;
  *count = 1;
  *modes = list;
  return True;
}

Bool XF86VidModeSwitchToMode(Display* display, int screen, XF86VidModeModeInfo* mode) {
  (void)display;
  (void)screen;
  (void)mode;
  return True;
}

Bool XF86VidModeSetViewPort(Display* display, int screen, int x, int y) {
  (void)display;
  (void)screen;
  (void)x;
  (void)y;
  return True;
}
