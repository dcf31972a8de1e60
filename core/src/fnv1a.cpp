// FNV-1a 64 (fnv1a.h).
#include "twinplan/core/fnv1a.h"

#include <cstdio>

namespace twinplan {

std::string Fnv1a64::hex() const {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash_));
  return text;
}

}  // namespace twinplan
