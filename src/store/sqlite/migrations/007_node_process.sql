-- keel: non-breaking
-- keel store schema, version 7: which process a node is, exactly, so that a node sharing its pids
-- can tell a dead node from one whose pid was reused. process_space is the kernel's boot id and the
-- pid namespace the node's pid belongs to; process_start is that process's start time in clock
-- ticks since boot (/proc/<pid>/stat, field 22). Both NULL where the node could not read them (not
-- Linux, or /proc hidden): other nodes then judge it by host name and pid, as before.
ALTER TABLE nodes ADD COLUMN process_space TEXT;
ALTER TABLE nodes ADD COLUMN process_start INTEGER;
