#pragma once
// Colour maps (pseudo-colour palettes) for showing a scalar image in colour: PET in hot iron
// over a grey CT, a PET alone in inverted grey, a parametric map in a rainbow. Each map is a
// 256-entry table, indexed by the position t (0..1) of a value in its window.
//
// Sources: the DICOM well-known colour palettes, PS3.6 Annex B (Hot Iron, PET, Hot Metal Blue,
// PET 20 Step, with their SOP Instance UIDs below) - the same 8-bit, 256-entry tables every
// DICOM viewer applies when a presentation state names them; grey and inverted grey are the
// identity ramps of PS3.3 C.11.2 (MONOCHROME2 / MONOCHROME1); Jet is MATLAB's "jet"
// (MathWorks documentation of colormap jet: blue -> cyan -> yellow -> red, piecewise linear).
#include <vtkSmartPointer.h>

#include <array>
#include <string>
#include <vector>

#include "twinplan/core/image_volume.h"

class vtkLookupTable;

namespace twinplan::rendering {

enum class ColourMap {
  Grey,          // black -> white (MONOCHROME2)
  InvertedGrey,  // white -> black (MONOCHROME1; PET MIPs read as dark uptake on white)
  HotIron,       // PS3.6 B.1.1, SOP Instance UID 1.2.840.10008.1.5.1, "HOT_IRON"
  PetRainbow,    // PS3.6 B.1.2, SOP Instance UID 1.2.840.10008.1.5.2, "PET"
  HotMetalBlue,  // PS3.6 B.1.3, SOP Instance UID 1.2.840.10008.1.5.3, "HOT_METAL_BLUE"
  Pet20Step,     // PS3.6 B.1.4, SOP Instance UID 1.2.840.10008.1.5.4, "PET_20_STEP"
  Jet,           // MATLAB jet
};

// Every map, in the order a menu lists them.
std::vector<ColourMap> allColourMaps();
// Stable key for files and the UI's settings: "grey", "inverted-grey", "hot-iron", "pet",
// "hot-metal-blue", "pet-20-step", "jet".
const char* toString(ColourMap map);
// A name for menus: "Grey", "Inverted grey", "Hot iron", "PET rainbow", ...
const char* displayName(ColourMap map);
// The map of a toString key (or of the DICOM Content Label, e.g. "HOT_IRON"); throws
// Error(InvalidInput) naming the known keys.
ColourMap colourMapFromString(const std::string& name);
// The DICOM SOP Instance UID of a well-known palette (PS3.6 Annex B), "" for the others.
const char* wellKnownPaletteUid(ColourMap map);

// The map's 256 colours, entry 0 for the window's low end, 255 for its high end.
const std::array<RgbColour, 256>& colourTable(ColourMap map);
// The colour at t (clamped to 0..1): the table entry nearest t * 255, as an 8-bit display
// applies a palette.
RgbColour colourOf(ColourMap map, double t);
// A VTK lookup table of the map over [low, high] (colour bars, the 3D view), opaque.
vtkSmartPointer<vtkLookupTable> makeLookupTable(ColourMap map, double low, double high);

}  // namespace twinplan::rendering
