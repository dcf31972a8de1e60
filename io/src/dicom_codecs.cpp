#include "dicom_codecs.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <mutex>

namespace twinplan::io::detail {

void ensureDicomCodecsRegistered() {
  static std::once_flag once;
  std::call_once(once, [] {
    // One policy for all of io (the scanner sets the same): DCMTK's own logging is off.
    // Everything that goes wrong reaches our callers as an Error with a sentence; DCMTK's
    // stderr lines would only duplicate that, and clutter the CLI's output.
    OFLog::getLogger("dcmtk").setLogLevel(OFLogger::OFF_LOG_LEVEL);
    // Keep the colour model of the file: we read monochrome samples and refuse colour.
    DJDecoderRegistration::registerCodecs(EDC_never);
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

}  // namespace twinplan::io::detail
