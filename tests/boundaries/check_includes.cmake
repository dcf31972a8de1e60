# cmake -DSOURCE_DIR=<repo> -P check_includes.cmake
# The include side of the module boundaries. Link checks (cmake/TwinPlanModule.cmake) cannot
# see a header-only use: Debian puts every VTK module's headers in one folder, so a headless
# module could include <vtkRenderer.h> without linking VTK::RenderingCore. This scans the
# sources for what DESIGN.md section 1 forbids them to include.
set(problems)
function(scan folders pattern why)
  set(found)
  foreach(folder IN LISTS folders)
    file(GLOB_RECURSE files ${SOURCE_DIR}/${folder}/*.h ${SOURCE_DIR}/${folder}/*.cpp)
    foreach(file IN LISTS files)
      file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"](${pattern})")
      foreach(line IN LISTS lines)
        file(RELATIVE_PATH relative ${SOURCE_DIR} ${file})
        string(STRIP "${line}" line)
        list(APPEND found "${relative}: ${line} (${why})")
      endforeach()
    endforeach()
  endforeach()
  set(problems ${problems} ${found} PARENT_SCOPE)
endfunction()

# Qt headers (<QWidget>, <QtCore/...>) and VTK's rendering, interaction and Qt bridge headers.
set(qt "Q[A-Z][A-Za-z]*>|Qt[A-Z][A-Za-z]*/")
set(vtk_display "vtk(Render|OpenGL|Actor|Camera|Light|Mapper|Prop|Texture|Interactor|Generic\
OpenGL|Volume|Glyph3DMapper|TextActor|Scalar[A-Z][a-z]+Actor|Widget)|QVTK")
set(headless core io segmentation phantom app/cli engine simulation)
scan("${headless}" "${qt}|${vtk_display}"
     "DESIGN.md section 1: no Qt or VTK rendering outside rendering, ui and the GUI app")
scan("rendering" "${qt}" "DESIGN.md section 1: rendering knows VTK, not Qt")
# core itself knows no toolkit: its ITK and VTK views live in core/itk and core/vtk.
scan("core/include;core/src" "itk|vtk|Q[A-Z]|twinplan/core/(itk|vtk)_view" "core stays toolkit-free: views are in core/itk, core/vtk")

if(problems)
  list(JOIN problems "\n  " text)
  message(FATAL_ERROR "Forbidden includes:\n  ${text}")
endif()
message(STATUS "Includes respect the module boundaries")
