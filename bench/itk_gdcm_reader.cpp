// twinplan-itk-gdcm-reader: the peer for the import benchmark. Reads one DICOM series the
// standard ITK way (GDCMSeriesFileNames sorts the files, ImageSeriesReader stacks them with
// GDCMImageIO), optionally writes it as NIfTI. The IO objects are created and set explicitly,
// so no ITK IO factory registration is involved.
//
//   twinplan-itk-gdcm-reader DIR [--series UID] [--out FILE.nii]
//   twinplan-itk-gdcm-reader --list DIR      header scan only: the series UIDs under DIR
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <itkGDCMImageIO.h>
#include <itkGDCMSeriesFileNames.h>
#include <itkImage.h>
#include <itkImageFileWriter.h>
#include <itkImageSeriesReader.h>
#include <itkNiftiImageIO.h>

using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string option(const std::vector<std::string>& args, const std::string& name) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == name) return args[i + 1];
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << "usage: twinplan-itk-gdcm-reader DIR [--series UID] [--out FILE.nii]\n"
                 "       twinplan-itk-gdcm-reader --list DIR\n";
    return 2;
  }
  using Image = itk::Image<std::int16_t, 3>;
  try {
    const auto start = Clock::now();
    const bool listOnly = args[0] == "--list";
    const std::string dir = listOnly ? (args.size() > 1 ? args[1] : ".") : args[0];
    auto names = itk::GDCMSeriesFileNames::New();
    names->SetUseSeriesDetails(true);
    names->SetRecursive(listOnly);
    names->SetDirectory(dir);
    const std::vector<std::string>& uids = names->GetSeriesUIDs();
    const double scan_s = secondsSince(start);
    if (listOnly) {
      std::size_t files = 0;
      for (const auto& uid : uids) files += names->GetFileNames(uid).size();
      std::cout << "{\"command\":\"list\",\"series\":" << uids.size() << ",\"instances\":" << files
                << ",\"scan_s\":" << scan_s << "}\n";
      return 0;
    }
    if (uids.empty()) {
      std::cerr << "twinplan-itk-gdcm-reader: no DICOM series in " << dir << '\n';
      return 1;
    }
    std::string uid = option(args, "--series");
    if (uid.empty()) uid = uids.front();
    const std::vector<std::string> files = names->GetFileNames(uid);

    auto dicomIO = itk::GDCMImageIO::New();
    auto reader = itk::ImageSeriesReader<Image>::New();
    reader->SetImageIO(dicomIO);
    reader->SetFileNames(files);
    reader->Update();
    const double read_s = secondsSince(start);
    const Image* image = reader->GetOutput();
    const auto size = image->GetLargestPossibleRegion().GetSize();

    const std::string out = option(args, "--out");
    if (!out.empty()) {
      auto niftiIO = itk::NiftiImageIO::New();
      auto writer = itk::ImageFileWriter<Image>::New();
      writer->SetImageIO(niftiIO);
      writer->SetFileName(out);
      writer->SetInput(image);
      writer->Update();
    }
    std::cout << "{\"command\":\"read\",\"files\":" << files.size() << ",\"size\":[" << size[0] << ','
              << size[1] << ',' << size[2] << "],\"scan_s\":" << scan_s << ",\"read_s\":" << read_s
              << ",\"total_s\":" << secondsSince(start) << "}\n";
    return 0;
  } catch (const itk::ExceptionObject& e) {
    std::cerr << "twinplan-itk-gdcm-reader: " << e.GetDescription() << '\n';
    return 1;
  }
}
