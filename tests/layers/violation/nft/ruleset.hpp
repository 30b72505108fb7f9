// Stands in for kernel mode's header in the check-layers self test.
#pragma once
