#pragma once
// The window an image opens in: brain or soft tissue for a CT, SUV 0-5 for a PET, percentiles
// for MR.
#include "twinplan/core/image_volume.h"
#include "twinplan/rendering/slice_view.h"

namespace twinplan::rendering {

// CT display windows (width/level, HU) as taught in radiology references (Radiopaedia,
// "Windowing (CT)"): brain 80/40, soft tissue 400/40.
inline constexpr WindowLevel kCtBrainWindow{80.0, 40.0};
inline constexpr WindowLevel kCtSoftTissueWindow{400.0, 40.0};

// Whether a CT shows the head (brain). Body Part Examined (0018,0015), PS3.3 C.7.3.1, decides
// when present: its defined terms HEAD, BRAIN, SKULL (PS3.16 Annex L, CID 4031) are a head;
// HEADNECK and every other term are not. When it is missing (many scanners leave it empty),
// the free-text Series and Study Description (0008,103E / 0008,1030) decide: they are a head
// when they name it in English, German or French (HEAD, BRAIN, CEREBRUM/CEREBRAL, CRANIUM/
// CRANIAL, SKULL; KOPF, SCHAEDEL/SCHÄDEL, CCT; CRANE/CRÂNE, TETE/TÊTE, CERVEAU, ENCEPHALE) and
// do not also name the neck (NECK, HALS, COU): a head-and-neck CT is read in the soft-tissue
// window.
bool isHeadCt(const DicomInfo& dicom);

// kCtBrainWindow for a head CT (isHeadCt), kCtSoftTissueWindow otherwise.
WindowLevel initialCtWindow(const DicomInfo& dicom);

// A PET in standardised uptake values: the importer's unit is "SUVbw", "SUVlbm" ... (PS3.3
// C.8.9.1.1.3 Units, converted to SUV body weight where it can).
bool isSuvPet(const ImageVolume& volume);

// The 1st..99th percentile of about 20,000 evenly spaced voxels, pixel padding left out: the
// window of an image without calibrated units (MR). At least 1e-3 of the unit wide.
WindowLevel percentileWindow(const ImageVolume& volume);

// The window an image opens in: a radiograph's own (its reader chose it, PS3.3 C.11.2), a CT's
// initialCtWindow, a SUV PET's SUV 0-5 (suvWindowPresets), anything else percentileWindow.
WindowLevel initialWindow(const ImageVolume& volume);

}  // namespace twinplan::rendering
