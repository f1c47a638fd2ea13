package wire

// The PE checksum (RFC 5353, section 2.2.1 and the handlespace audit): the
// 16-bit one's-complement checksum, as in RFC 1071, over the pool handle and
// PE identifier of every PE a registrar owns. Presence carries it so peers
// can detect a handlespace that drifted and resynchronise.
//
// Each PE contributes the big-endian 16-bit words of its pool handle (an odd
// last byte is padded with a zero byte) and the two halves of its PE
// identifier in network order. The handle and the identifier are summed
// separately, as RSPLIB does: with a handle of odd length the identifier is
// not shifted by one byte. RSPLIB computes with host-order loads and stores
// the result raw; on every host that equals this big-endian computation sent
// in network order, which is what travels here.

// ChecksumAccumulator is a running, exact sum of PE contributions; its zero
// value is the empty handlespace. Add and Remove are exact inverses, so a
// handlespace can keep one per owning registrar and update it per PE.
// (RSPLIB keeps a 32-bit accumulator, which can wrap with many thousands of
// PEs; this one does not.)
type ChecksumAccumulator uint64

func peSum(h PoolHandle, id PEIdentifier) uint64 {
	var s uint64
	i := 0
	for ; i+1 < len(h); i += 2 {
		s += uint64(h[i])<<8 | uint64(h[i+1])
	}
	if i < len(h) {
		s += uint64(h[i]) << 8
	}
	return s + uint64(id>>16) + uint64(id&0xffff)
}

// Add adds one PE.
func (a *ChecksumAccumulator) Add(h PoolHandle, id PEIdentifier) {
	*a += ChecksumAccumulator(peSum(h, id))
}

// Remove removes one PE that was added before.
func (a *ChecksumAccumulator) Remove(h PoolHandle, id PEIdentifier) {
	*a -= ChecksumAccumulator(peSum(h, id))
}

// Checksum folds the sum to 16 bits and complements it. The empty
// handlespace has checksum 0xffff.
func (a ChecksumAccumulator) Checksum() PEChecksum {
	return PEChecksum(^fold(uint64(a)))
}

func fold(s uint64) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// PEChecksumOf returns the checksum of a single PE.
func PEChecksumOf(h PoolHandle, id PEIdentifier) PEChecksum {
	return PEChecksum(^fold(peSum(h, id)))
}

// Add returns the checksum of the union of the PE sets that c and o are the
// checksums of (one's-complement addition).
//
// Finished 16-bit checksums cannot tell a set whose sum is a nonzero
// multiple of 0xffff from the empty set, so c.Sub(c) is 0x0000 where an
// accumulator emptied by Remove gives 0xffff; prefer ChecksumAccumulator
// where that matters.
func (c PEChecksum) Add(o PEChecksum) PEChecksum {
	return PEChecksum(^fold(uint64(^c) + uint64(^o)))
}

// Sub returns the checksum of c's PE set without o's (one's-complement
// subtraction); see Add for the one corner where it differs from an
// accumulator.
func (c PEChecksum) Sub(o PEChecksum) PEChecksum {
	return PEChecksum(^fold(uint64(^c) + uint64(o)))
}
