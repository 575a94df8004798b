# SPDX-License-Identifier: BSD-2-Clause
# test_iommu_iotlb reads back the miss step's log (stderr) to check its rate limit.
target_sources(test_iommu_iotlb PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/support/stderr_capture.c)
