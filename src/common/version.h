// nightjar's version: in every result, and what a controller and its workers must share.
#pragma once

namespace nightjar {

inline constexpr char kVersion[] = "0.1.0";

}  // namespace nightjar
