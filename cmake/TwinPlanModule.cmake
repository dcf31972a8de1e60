# twinplan_module(<name> [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# One static library per module folder: public headers in include/twinplan/<name>/,
# sources in src/. Sources are globbed so that adding a file needs no CMake edit.
function(twinplan_module name)
  cmake_parse_arguments(ARG "" "" "PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp)
  add_library(twinplan_${name} STATIC ${sources})
  add_library(twinplan::${name} ALIAS twinplan_${name})
  target_include_directories(twinplan_${name}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(twinplan_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  twinplan_warnings(twinplan_${name})
endfunction()

function(twinplan_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
  # GCC 12 reports false -Wrestrict positives on std::string concatenation at -O3
  # (GCC bug 105329); they are not in our code, so they must not fail the build.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(TWINPLAN_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
