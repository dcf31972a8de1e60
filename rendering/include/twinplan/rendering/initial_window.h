#pragma once
// The window a CT opens in: brain for a head, soft tissue otherwise.
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

}  // namespace twinplan::rendering
