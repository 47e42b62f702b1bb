package steps

import "testing"

// Every per-customer answer names a real answer that a carried setup could
// hold: a non-secret, non-confirmation field of a step that is not attested
// (secrets are references and attested steps are never carried anyway).
func TestPerCustomerAnswersNameCarriedFields(t *testing.T) {
	all := PerCustomerAnswers()
	if len(all) != len(perCustomer) {
		t.Fatalf("%d per-customer answers found in the catalog, %d in the table: an entry names no field", len(all), len(perCustomer))
	}
	for _, p := range perCustomer {
		in, ok := Lookup(p.Integration)
		if !ok {
			t.Errorf("%s: no such integration", p.Ref())
			continue
		}
		st, ok := in.Step(p.Step)
		if !ok {
			t.Errorf("%s: no such step", p.Ref())
			continue
		}
		f, ok := st.Field(p.Field)
		switch {
		case !ok:
			t.Errorf("%s: no such field", p.Ref())
		case f.IsSecret() || f.Kind == KindConfirm:
			t.Errorf("%s is a %s: never carried, it needs no entry", p.Ref(), f.Kind)
		case st.Proof == ProofAttested:
			t.Errorf("%s: attested steps are never carried", p.Ref())
		case p.Reason == "":
			t.Errorf("%s has no reason", p.Ref())
		}
	}
}

// A URL a vendor shows is the account's own: every URL answer of the
// catalog is per-customer, so a new one cannot be carried by oversight.
func TestEveryURLAnswerIsPerCustomer(t *testing.T) {
	for _, in := range Catalog() {
		for _, st := range in.Steps {
			for _, f := range st.Fields {
				if f.Kind != KindURL {
					continue
				}
				if _, ok := PerCustomerField(in.ID, st.ID, f.Key); !ok {
					t.Errorf("%s/%s.%s is a URL answer that a carried setup would copy to other customers", in.ID, st.ID, f.Key)
				}
			}
		}
	}
	if p, ok := PerCustomerField(IntegrationCertnLever, "certn-enable", "webhook_url"); !ok || p.Ref() != "certn-lever/certn-enable.webhook_url" {
		t.Errorf("Certn's webhook URL: %+v, %v", p, ok)
	}
}
