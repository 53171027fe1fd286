"""A tiny labelled corpus about the fictional Sukamaju race (the example registry): ten
posts per label, enough to build and fine-tune a tiny BERT in seconds."""

from __future__ import annotations

import json
from pathlib import Path

ELECTION = "pilbup-sukamaju-2024"

CORPUS: dict[str, list[str]] = {
    "support": [
        "Ayo dukung Hendra Wijaya dan Siti Rahmawati, pilih nomor 1!",
        "Tegak lurus nomor 2 ✌️ DAMAI Dua Periode!!! #LanjutkanDAMAI",
        "Mohon doa dan dukungannya untuk Pak Fauzan, coblos 3 ya",
        "Satu komando memenangkan HeSti di Sukamaju ☝️",
        "Berilah suaramu untuk Darmaji Santosa, lanjutkan pembangunan",
        "Saatnya Berubah bersama Fauzan Arifin dan Ratna Kusumawati #FaRaUntukSukamaju",
        "Pilih nomor 2, Bu Maimunah pasti amanah",
        "Kami warga desa siap menangkan FaRa 🤟 coblos nomor 3",
        "Dukung terus Pak Hendra, Sukamaju Maju Bersama #HeStiMenang",
        "Tetap Darmaji, dua periode untuk Sukamaju lebih baik",
    ],
    "campaign_share": [
        "Bagikan video kampanye ini ya teman-teman, sebarkan ke grup",
        "Yuk follow @relawan.hesti untuk info kegiatan relawan",
        "Viralkan program Pak Darmaji, share sebanyak-banyaknya",
        "Gabung grup relawan FaRa, link ada di bio @relawan.fara",
        "Repost dari posko pemenangan, jadwal kampanye akbar besok",
        "Sebarkan brosur visi misi nomor 1 ke seluruh warga",
        "Ikut bagikan poster #SaatnyaBerubah ke status WA kalian",
        "Share info konser kampanye DAMAI di lapangan kecamatan",
        "Relawan dan simpatisan kumpul di posko @posko.fara3 malam ini",
        "Tolong teruskan pesan tim pemenangan @timpemenangan.damai ke grup RT",
    ],
    "attack": [
        "Jangan pilih Darmaji Santosa, dia gagal total memimpin",
        "Asal Bukan HeSti, pengkhianat rakyat kecil #TolakHendra",
        "Fauzan Arifin cuma janji palsu, tolak nomor 3",
        "Petahana gagal, jalan rusak di mana-mana, jangan pilih lagi",
        "Hendra Wijaya itu penipu, jangan percaya omongannya",
        "Nomor 1 bohong semua programnya, tolak!",
        "Ratna Kusumawati tidak becus, jangan coblos",
        "Darmaji korupsi, rakyat jangan mau dibodohi lagi",
        "FaRa hanya boneka partai, jangan pilih",
        "#TolakDarmaji pemimpin gagal yang harus diganti",
    ],
    "money_politics": [
        "Yang mau amplop datang ke rumah saya malam ini, coblos nomor 2",
        "Serangan fajar sudah siap, tiap rumah dapat lima puluh ribu",
        "Sembako gratis untuk warga yang pilih HeSti",
        "Voucher pulsa seratus ribu kalau coblos 3, kirim bukti foto",
        "Uang transport dua ratus ribu untuk yang datang kampanye Pak Darmaji",
        "Kupon bensin dibagikan besok, syaratnya pilih nomor 1",
        "Transfer uang digital untuk pemilih FaRa, hubungi saya",
        "Amplop sudah dibagi ke RT, jangan lupa coblos DAMAI",
        "Beras lima kilo untuk yang dukung Hendra Wijaya",
        "Ada uang rokok kalau ikut pilih nomor 3 besok",
    ],
    "political_neutral": [
        "ASN harus netral dalam Pilkada, jarimu adalah harimaumu",
        "Ayo datang ke TPS tanggal 27, jangan golput #TemanPemilih",
        "Surat suara sah jika dicoblos pada satu kolom pasangan calon",
        "Debat kandidat Pilkada Sukamaju disiarkan malam ini",
        "Bawaslu mengimbau ASN tidak memberi like pada konten kampanye",
        "Pengundian nomor urut paslon sudah dilaksanakan KPU",
        "Mari jaga Pilkada damai dan sejuk di Sukamaju",
        "Masa tenang dimulai besok, semua alat peraga harus diturunkan",
        "Cek nama kamu di daftar pemilih tetap lewat situs KPU",
        "Netralitas ASN wajib dijaga sebelum dan sesudah kampanye",
    ],
    "non_political": [
        "Selamat pagi, rapat koordinasi dinas dimulai jam sembilan",
        "Alhamdulillah panen padi tahun ini melimpah 👍",
        "Timnas menang dua kosong, mantap sekali ✌️",
        "Jangan lupa vaksinasi anak di puskesmas hari Sabtu",
        "Lomba tujuh belasan di kantor kecamatan seru sekali",
        "Resep rendang ibu memang paling enak",
        "Jalan menuju air terjun sudah diperbaiki, ayo berwisata",
        "Pelatihan aplikasi kepegawaian untuk staf baru minggu depan",
        "Hujan deras sore ini, hati-hati di jalan",
        "Selamat ulang tahun sahabatku, semoga sehat selalu",
    ],
}


def rows(split: str) -> list[dict[str, object]]:
    """The corpus as labelled rows; ``split`` picks which posts: train has all, valid and
    test the first four and the last four of each label."""
    chosen = {"train": slice(None), "valid": slice(0, 4), "test": slice(6, 10)}[split]
    found: list[dict[str, object]] = []
    for label, texts in CORPUS.items():
        for i, text in enumerate(texts[chosen]):
            found.append(
                {
                    "id": f"{split}-{label}-{i}",
                    "platform": "x",
                    "author": "@budi",
                    "text": text,
                    "created_at": "2024-10-01T08:00:00+07:00",
                    "label": label,
                    "template": "test",
                    "kind": "test",
                    "election": ELECTION,
                }
            )
    return found


def write_split(path: Path, split: str) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows(split)), encoding="utf-8"
    )
    return path
