// The loader <-> runtime negotiation interface (OpenXR loader design document, "Loader/Runtime
// Interface Negotiation", sections runtime-interaction and api-layer-interaction). Debian 12's
// OpenXR 1.0.20 package ships openxr.h but not the SDK's private `loader_interfaces.h`, so the
// three declarations a runtime needs are written out here from the specification text. The
// layout must match the loader's byte for byte: field order and types are the document's.
#pragma once

#include <openxr/openxr.h>

#include <cstddef>
#include <cstdint>

extern "C" {

// "XrLoaderInterfaceStructs": the structure tags of the loader interface, in the document's order.
enum XrLoaderInterfaceStructs {
  XR_LOADER_INTERFACE_STRUCT_UNINTIALIZED = 0,
  XR_LOADER_INTERFACE_STRUCT_LOADER_INFO,
  XR_LOADER_INTERFACE_STRUCT_API_LAYER_REQUEST,
  XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST,
  XR_LOADER_INTERFACE_STRUCT_API_LAYER_CREATE_INFO,
  XR_LOADER_INTERFACE_STRUCT_API_LAYER_NEXT_INFO,
};

// Version 1 of both structures and of the runtime interface: the only ones defined.
constexpr uint32_t kLoaderInfoStructVersion = 1;
constexpr uint32_t kRuntimeInfoStructVersion = 1;
constexpr uint32_t kRuntimeInterfaceVersion = 1;

// What the loader offers: the interface and API version ranges it supports.
struct XrNegotiateLoaderInfo {
  XrLoaderInterfaceStructs structType;  // XR_LOADER_INTERFACE_STRUCT_LOADER_INFO
  uint32_t structVersion;
  size_t structSize;
  uint32_t minInterfaceVersion;
  uint32_t maxInterfaceVersion;
  XrVersion minApiVersion;
  XrVersion maxApiVersion;
};

// What the runtime answers: its interface and API versions and its xrGetInstanceProcAddr.
struct XrNegotiateRuntimeRequest {
  XrLoaderInterfaceStructs structType;  // XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST
  uint32_t structVersion;
  size_t structSize;
  uint32_t runtimeInterfaceVersion;
  XrVersion runtimeApiVersion;
  PFN_xrGetInstanceProcAddr getInstanceProcAddr;
};

// The only symbol a runtime exports (all xr* entry points are reached through
// getInstanceProcAddr, so they never clash with the loader's exports).
XrResult xrNegotiateLoaderRuntimeInterface(const XrNegotiateLoaderInfo* loaderInfo,
                                           XrNegotiateRuntimeRequest* runtimeRequest);
}
