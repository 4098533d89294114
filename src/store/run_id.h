// Run IDs: 12 characters of Crockford's base32 (0-9 and A-Z without I, L, O, U). The first
// 10 encode the save time in Unix milliseconds (50 bits, so IDs sort as their times do), the
// last 2 are 10 random bits. Any unique prefix names a run (Store::resolve), as in git.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nightjar::store {

inline constexpr size_t kRunIdLength = 12;

// The ID of a run saved at `unix_ms` (>= 0), with the low 10 bits of `random_bits`.
std::string make_run_id(int64_t unix_ms, uint64_t random_bits);

// The smallest ID greater than `id` (a valid ID below the largest): what a second run saved in
// the same millisecond by the same process gets, so one process's IDs are strictly increasing.
std::string next_run_id(std::string_view id);

// `prefix` upper-cased, with Crockford's look-alikes read as digits (I and L as 1, O as 0);
// "" when it holds a character that is in no ID (or is longer than an ID).
std::string normalize_run_id_prefix(std::string_view prefix);

}  // namespace nightjar::store
