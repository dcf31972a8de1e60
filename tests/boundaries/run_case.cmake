# cmake -DCASE=<case> -DEXPECT=<regex or "pass"> -DTWINPLAN_CMAKE_DIR=<dir> -DWORK_DIR=<dir>
#       -P run_case.cmake
# Configures tests/boundaries/project with CASE and checks that the configure fails with an
# output matching EXPECT (or, for "pass", succeeds): the module boundary check cannot rot.
foreach(var CASE EXPECT TWINPLAN_CMAKE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_case.cmake needs -D${var}=...")
  endif()
endforeach()
set(build ${WORK_DIR}/${CASE})
file(REMOVE_RECURSE ${build})
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR}/project -B ${build} -G Ninja
          -DCASE=${CASE} -DTWINPLAN_CMAKE_DIR=${TWINPLAN_CMAKE_DIR}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(output "${out}${err}")
# CMake wraps long messages: compare with the line breaks and indents folded away.
string(REGEX REPLACE "[ \n]+" " " folded "${output}")
if(EXPECT STREQUAL "pass")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "Case ${CASE} should configure, but failed:\n${output}")
  endif()
  if(NOT folded MATCHES "Module boundaries: [0-9]+ modules checked")
    message(FATAL_ERROR "Case ${CASE}: the boundary check did not run:\n${output}")
  endif()
else()
  if(status EQUAL 0)
    message(FATAL_ERROR "Case ${CASE} should fail to configure, but passed:\n${output}")
  endif()
  if(NOT folded MATCHES "${EXPECT}")
    message(FATAL_ERROR "Case ${CASE} failed without the expected message /${EXPECT}/:\n${output}")
  endif()
endif()
file(REMOVE_RECURSE ${build})
message(STATUS "Case ${CASE}: as expected")
