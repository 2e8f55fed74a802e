"""The relay: durable work for Slack (and platform look-ups) kept in the `SlackTask` table.

- `kinds.TaskKind`: every kind of task;
- `queue.enqueue`: the one way to queue one, inside the caller's transaction;
- `worker.Relay`: a thread that claims, runs and settles tasks of the kinds it has runners for;
- `errors`: what an exception means for a task (`classify`);
- `runners/`: what each kind does, by message: items, drafts, the owner's DMs.
"""
