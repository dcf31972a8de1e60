#pragma once
// The one error type for everything a user can cause or see (STYLE.md "Errors").
#include <stdexcept>
#include <string>
#include <string_view>

namespace twinplan {

enum class ErrorKind { InvalidInput, Unsupported, Corrupt, NotFound, Io, Network, Internal };

std::string_view toString(ErrorKind kind);

// what() is a sentence a user can act on; context() names the file, series UID, tag or
// parameter it concerns.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, std::string context = {});
  ErrorKind kind() const { return kind_; }
  const std::string& context() const { return context_; }

 private:
  ErrorKind kind_;
  std::string context_;
};

// Thrown when the user cancels long work. Not an error: nothing was changed.
struct Cancelled {};

}  // namespace twinplan
