package steps

// PerCustomer is an answer that belongs to one customer's own accounts: a
// value its vendor gave that customer alone, a person of its staff, or a
// confirmation of what its key allows. Carried to another customer it
// would be wrong, often silently (Lever handing candidates to the first
// customer's Certn account), so export leaves it out and apply takes it
// for each customer on its own (apply --set INTEGRATION/STEP.FIELD=VALUE),
// as it leaves attested steps to the admin.
type PerCustomer struct {
	Integration string
	Step        string
	Field       string
	// Reason says why the answer is this customer's own, worded to follow
	// "it is each customer's own: ".
	Reason string
}

// Ref is the answer's INTEGRATION/STEP.FIELD, as apply --set names it.
func (p PerCustomer) Ref() string { return p.Integration + "/" + p.Step + "." + p.Field }

// perCustomer is every per-customer answer of the catalog, with its reason:
// the one place that decides what a carried setup leaves out. The other
// non-secret answers are choices an admin repeats from customer to customer
// (packages, the source of truth, options, the IP range), or are checked
// against the new customer's vendor when applied (the Lever region and
// trigger stage, Vetty's package names), so a wrong one is refused there.
var perCustomer = []PerCustomer{
	{Integration: IntegrationCertnLever, Step: "certn-enable", Field: "webhook_url",
		Reason: "Certn gives each account its own integration webhook URL, and Lever sends this customer's candidates to the one it is given"},
	{Integration: IntegrationVettyChattr, Step: "vetty-key", Field: "user",
		Reason: "it names the user of this customer's Vetty account who manages the key"},
	{Integration: IntegrationChartHopLever, Step: "lever-key", Field: "write_permissions",
		Reason: "it confirms what this customer's Lever key allows, which patchbay cannot see"},
}

// PerCustomerAnswers returns every per-customer answer, in catalog order.
func PerCustomerAnswers() []PerCustomer {
	out := make([]PerCustomer, 0, len(perCustomer))
	for _, in := range Catalog() {
		for _, st := range in.Steps {
			out = append(out, PerCustomerOf(in.ID, st.ID)...)
		}
	}
	return out
}

// PerCustomerOf returns the per-customer answers of one step, in the order
// of its fields.
func PerCustomerOf(integration, step string) []PerCustomer {
	in, ok := Lookup(integration)
	if !ok {
		return nil
	}
	st, ok := in.Step(step)
	if !ok {
		return nil
	}
	var out []PerCustomer
	for _, f := range st.Fields {
		if p, ok := PerCustomerField(integration, step, f.Key); ok {
			out = append(out, p)
		}
	}
	return out
}

// PerCustomerField reports whether one answer is per-customer, and why.
func PerCustomerField(integration, step, field string) (PerCustomer, bool) {
	for _, p := range perCustomer {
		if p.Integration == integration && p.Step == step && p.Field == field {
			return p, true
		}
	}
	return PerCustomer{}, false
}
