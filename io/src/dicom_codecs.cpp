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
    // dcmdata warns on stderr for every header read that stops before Pixel Data, and for
    // tolerated encoding slips; our callers get Errors with sentences instead. Keep errors.
    OFLog::getLogger("dcmtk.dcmdata").setLogLevel(OFLogger::ERROR_LOG_LEVEL);
    // Keep the colour model of the file: we read monochrome samples and refuse colour.
    DJDecoderRegistration::registerCodecs(EDC_never);
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

}  // namespace twinplan::io::detail
