package testdns

import "github.com/miekg/dns"

// Every name of at most two labels ("quarry.test.", "test.") is treated as
// a zone apex with a synthetic SOA, because ACME clients that send RFC 2136
// updates find the zone to update by asking for SOA records up the tree.

func isApex(name string) bool { return dns.CountLabel(name) <= 2 }

// apex is the zone that holds name.
func apex(name string) string {
	idx := dns.Split(name)
	if len(idx) <= 2 {
		return name
	}
	return name[idx[len(idx)-2]:]
}

func soa(zone string) *dns.SOA {
	ns := "ns." + zone
	mbox := "hostmaster." + zone
	if zone == "." {
		ns, mbox = "ns.", "hostmaster."
	}
	return &dns.SOA{
		Hdr:     header(zone, dns.TypeSOA),
		Ns:      ns,
		Mbox:    mbox,
		Serial:  1,
		Refresh: 3600,
		Retry:   600,
		Expire:  86400,
		Minttl:  ttl,
	}
}
