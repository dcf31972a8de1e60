#include "twinplan/core/error.h"

namespace twinplan {

std::string_view toString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidInput: return "invalid input";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::Corrupt: return "corrupt";
    case ErrorKind::NotFound: return "not found";
    case ErrorKind::Io: return "i/o";
    case ErrorKind::Network: return "network";
    case ErrorKind::Internal: return "internal";
  }
  return "unknown";
}

Error::Error(ErrorKind kind, std::string message, std::string context)
    : std::runtime_error(std::move(message)), kind_(kind), context_(std::move(context)) {}

}  // namespace twinplan
