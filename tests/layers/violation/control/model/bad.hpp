// A model header that reaches up into kernel mode: check-layers must refuse it.
#pragma once
#include "nft/ruleset.hpp"
