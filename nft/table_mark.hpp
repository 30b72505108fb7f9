// The comment svcnat puts on the tables it makes (`nft list` shows it): how
// it tells its own tables from someone else's of the same name
// (table_ownership.hpp). Rendered text and programmed tables carry it alike.
#pragma once

#include <string_view>

namespace svcnat::nft {

inline constexpr std::string_view kTableMark = "managed by svcnat: replaced on every sync, do not edit";

}  // namespace svcnat::nft
