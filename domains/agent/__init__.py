"""Domain agents with Claude: a bounded tool loop that performs the offline operations.

With `ANTHROPIC_API_KEY` set, a message is first handled offline (boundary check, status lines)
inside the pipeline's transaction; the agent turn then runs as a job (`jobs/agent_tasks.py`),
calls the model outside any transaction and applies what its tools asked for in one final
transaction with its reply. Without a key nothing here runs.
"""
