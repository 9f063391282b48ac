"""Tools from the operator's own stack, through MCP (issue 13): each domain's charter declares
its servers and which tools only read and which have an effect (held for an operator)."""
