#!/usr/bin/perl
# netsmpp_mt.pl PORT OUT N -- an SMSC made with Net::SMPP (Debian
# libnet-smpp-perl), independent of txgw's own SMPP code, taking the
# downlink: it listens on 127.0.0.1:PORT, accepts one bind_transceiver,
# answers each submit_sm ESME_ROK with message_id "ns<n>" and writes what
# it got to OUT, one JSON object a line (the fields of SMPP 3.4 §4.4.1,
# short_message in hex).  When registered_delivery asks for a receipt it
# sends one, a deliver_sm with esm_class 0x04: by Appendix B text for odd
# message ids, by the receipted_message_id and message_state TLVs for even
# ones.  After N submit_sm and every receipt answered it unbinds; exit 0
# when every receipt got ESME_ROK.
use strict;
use warnings;
use Net::SMPP;

my ($port, $out, $want) = @ARGV;
$SIG{ALRM} = sub { die "netsmpp_mt: timeout\n" };
alarm 40;
$| = 1;
my $listen = Net::SMPP->new_listen('127.0.0.1', port => $port, smpp_version => 0x34)
	or die "netsmpp_mt: cannot listen on $port: $!\n";
print "listening\n";
my $smsc = $listen->accept or die "netsmpp_mt: accept: $!\n";
${*$smsc}{$_} = ${*$listen}{$_} for keys %{*$listen};
my $bind = $smsc->read_pdu or die "netsmpp_mt: no bind\n";
die "netsmpp_mt: not bind_transceiver\n" unless $bind->{cmd} == 0x09;
$smsc->bind_transceiver_resp(seq => $bind->{seq}, system_id => 'netsmpp');
open(my $o, '>', $out) or die "netsmpp_mt: $out: $!\n";
my ($n, $receipts, $acked, $bad) = (0, 0, 0, 0);
while ($n < $want || $acked < $receipts) {
	my $pdu = $smsc->read_pdu or die "netsmpp_mt: connection lost\n";
	if ($pdu->{cmd} == 0x15) {
		$smsc->enquire_link_resp(seq => $pdu->{seq});
	} elsif ($pdu->{cmd} == 0x80000005) {
		$acked++;
		$bad++ if $pdu->{status};
	} elsif ($pdu->{cmd} == 0x04) {
		$n++;
		my $id = "ns$n";
		printf $o "{\"source_addr\":\"%s\",\"source_addr_ton\":%d,\"source_addr_npi\":%d,"
			. "\"destination_addr\":\"%s\",\"dest_addr_ton\":%d,\"dest_addr_npi\":%d,"
			. "\"esm_class\":%d,\"data_coding\":%d,\"registered_delivery\":%d,"
			. "\"protocol_id\":%d,\"short_message\":\"%s\",\"message_id\":\"%s\","
			. "\"user_message_reference\":\"%s\"}\n",
			$pdu->{source_addr}, $pdu->{source_addr_ton}, $pdu->{source_addr_npi},
			$pdu->{destination_addr}, $pdu->{dest_addr_ton}, $pdu->{dest_addr_npi},
			$pdu->{esm_class}, $pdu->{data_coding}, $pdu->{registered_delivery},
			$pdu->{protocol_id}, unpack('H*', $pdu->{short_message}), $id,
			unpack('H*', $pdu->{user_message_reference} // '');
		$smsc->submit_sm_resp(seq => $pdu->{seq}, message_id => $id);
		next unless $pdu->{registered_delivery} & 1;
		my @r = (source_addr_ton => $pdu->{dest_addr_ton}, source_addr_npi => 1,
			 source_addr => $pdu->{destination_addr}, dest_addr_ton => 0, dest_addr_npi => 1,
			 destination_addr => $pdu->{source_addr}, esm_class => 0x04, data_coding => 0,
			 async => 1);
		if ($n % 2) {
			push @r, short_message => "id:$id sub:001 dlvrd:001 submit date:2611252200 "
				. "done date:2611252201 stat:DELIVRD err:000 text:";
		} else {
			push @r, short_message => '', receipted_message_id => "$id\0",
				message_state => pack('C', 2);
		}
		$smsc->deliver_sm(@r);
		$receipts++;
	}
}
close $o;
$smsc->unbind(async => 1);
my $u = $smsc->read_pdu;
print "submit_sm $n, receipts $receipts, acked $acked\n";
exit($bad ? 1 : 0);
