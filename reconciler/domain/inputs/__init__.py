"""What the Rego policies read: the policy input and the observed facts it carries.

Between the documents and every decision: :mod:`.policy_input` builds the input of the
admission, CAB, promotion and health policies (so evaluation asks for CAB and the gates for
the rest), over the facts computed from the observed tenants and the state store
(:mod:`.compliance`, :mod:`.rollback`). Imports only ``documents`` and the domain root.
"""
