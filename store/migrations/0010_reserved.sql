-- Version 10 is another change's; this placeholder keeps the versions
-- contiguous until it lands.
SELECT 1;
