#include "twinplan/core/error.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan::phantom {

PhantomKind phantomKindFromString(const std::string& name) {
  if (name == "abdomen") return PhantomKind::Abdomen;
  if (name == "head") return PhantomKind::Head;
  throw Error(ErrorKind::InvalidInput,
              "Unknown phantom kind '" + name + "': use 'abdomen' or 'head'.", "--kind");
}

const char* toString(PhantomKind kind) {
  switch (kind) {
    case PhantomKind::Abdomen:
      return "abdomen";
    case PhantomKind::Head:
      return "head";
  }
  return "unknown";
}

}  // namespace twinplan::phantom
